import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { idAgreesWith, isPrintedName, parseCccdQr, parseDdMmYyyy } from '../../../gateway/credentials/cccd-qr.js';
import { REASON_CODES } from '../../../gateway/reasons.js';

const NOW = Date.parse('2026-11-28T10:00:00Z');
const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/cccd/cccd_qr_synthetic.json', import.meta.url), 'utf8'),
) as Array<{ raw: string }>;
const [withOldId, withoutOldId, sixFields] = vectors.map((v) => v.raw) as [string, string, string];

t.test('a synthetic QR with an old CMND parses into a claimed (unverified) identity', async (t) => {
  const r = parseCccdQr(withOldId, NOW);
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.value.identity.idNumber, '001099012345'); // synthetic ID
  t.equal(r.value.identity.verified, false);
  t.equal(r.value.identity.birthDate, '1999-01-01');
  t.equal(r.value.identity.sex, 'M');
  t.equal(r.value.oldIdPresent, true);
});

t.test('an empty old-CMND field is accepted', async (t) => {
  const r = parseCccdQr(withoutOldId, NOW);
  t.ok(r.ok);
  if (r.ok) t.equal(r.value.identity.sex, 'F');
});

t.test('the 6-field layout some parsers assume is rejected as malformed', async (t) => {
  t.same(parseCccdQr(sixFields, NOW), { ok: false, reason: 'qr.malformed', detail: '6 fields, expected 7' });
});

const fields = withOldId.split('|');
const withField = (i: number, v: string) => fields.map((f, j) => (j === i ? v : f)).join('|');
for (const [name, text, reason] of [
  ['an 11-digit ID', withField(0, '00109901234'), 'qr.bad-id'],
  ['an unknown province code', withField(0, '999099012345'), 'qr.bad-id'], // synthetic ID: province 999 does not exist
  ['an ID whose century/sex digit disagrees with the sex', withField(4, 'Nữ'), 'qr.bad-id'],
  ['an old CMND of 8 digits', withField(1, '16800000'), 'qr.bad-old-id'],
  ['an impossible date of birth (31 Feb)', withField(3, '31021999'), 'qr.bad-date'],
  ['a date of birth in the future', withField(3, '01012099'), 'qr.bad-date'],
  ['an issue date before birth', withField(6, '01011990'), 'qr.bad-date'],
  ['a sex that is neither Nam nor Nữ', withField(4, 'M'), 'qr.bad-sex'],
  ['an empty name', withField(2, '  '), 'qr.bad-name'],
] as const) {
  t.test(`${name} is rejected with ${reason}`, async (t) => {
    const r = parseCccdQr(text, NOW);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.reason, reason);
  });
}

t.test('dates are real calendar dates', async (t) => {
  t.equal(parseDdMmYyyy('29022024'), '2024-02-29');
  t.equal(parseDdMmYyyy('29022023'), null);
  t.equal(parseDdMmYyyy('1/1/2000'), null);
});

t.test('the ID encodes century and sex of birth', async (t) => {
  t.ok(idAgreesWith('001099012345', '1999-01-01', 'M')); // synthetic ID
  t.ok(idAgreesWith('035305000001', '2005-03-01', 'F')); // synthetic ID
  t.notOk(idAgreesWith('035305000001', '1905-03-01', 'F')); // synthetic ID
});

const QR_REASONS = new Set(REASON_CODES.filter((r) => r.startsWith('qr.')));

t.test('random text never throws and is never accepted by accident', async () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseCccdQr(s, NOW);
      return r.ok ? [7, 8].includes(s.split('|').length) : QR_REASONS.has(r.reason);
    }),
    { numRuns: 2000 },
  );
});

t.test('mutated valid QRs either parse to a consistent identity or fail with a qr.* reason', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: withOldId.length - 1 }),
      fc.string({ maxLength: 3 }),
      fc.integer({ min: 0, max: 2 }),
      (pos, ins, del) => {
        const mutated = withOldId.slice(0, pos) + ins + withOldId.slice(pos + del);
        const r = parseCccdQr(mutated, NOW);
        if (!r.ok) return QR_REASONS.has(r.reason);
        return (
          /^\d{12}$/.test(r.value.identity.idNumber) &&
          idAgreesWith(r.value.identity.idNumber, r.value.identity.birthDate!, r.value.identity.sex!)
        );
      },
    ),
    { numRuns: 3000 },
  );
});

// ---- Issue #11, finding 9: invisible names and extra fields.

const nameOf = (text: string) => {
  const r = parseCccdQr(text, NOW);
  return r.ok ? r.value.identity.name : undefined;
};

for (const [what, name] of [
  ['only a zero-width space (U+200B)', '\u200B'],
  ['a right-to-left override (U+202E) inside', 'Nguyễn \u202EA nǍV'],
  ['a bidi isolate (U+2066 … U+2069)', '\u2066Nguyễn Văn A\u2069'],
  ['a byte-order mark (U+FEFF) in front', '\uFEFFNguyễn Văn A'],
  ['a soft hyphen (U+00AD)', 'Nguy\u00ADễn Văn A'],
  ['only a Hangul filler (U+3164, an invisible "letter")', '\u3164'],
  ['a tab (control character)', 'Nguyễn\tVăn A'],
  ['a no-break space', 'Nguyễn\u00A0Văn A'],
  ['no letter at all', "- ' ."],
  ['only combining marks', '\u0301\u0303'],
] as const) {
  t.test(`a name of ${what} is rejected with qr.bad-name`, async (t) => {
    const r = parseCccdQr(withField(2, name), NOW);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.reason, 'qr.bad-name');
  });
}

t.test('a name typed in decomposed form (NFD) is accepted and handed on in NFC', async (t) => {
  const nfd = 'Nguyễn Văn A'.normalize('NFD');
  t.not(nfd, 'Nguyễn Văn A');
  t.equal(nameOf(withField(2, nfd)), 'Nguyễn Văn A'.normalize('NFC'));
});

t.test('names with a hyphen, an apostrophe or surrounding spaces are still accepted', async (t) => {
  t.equal(nameOf(withField(2, "H'Hen Niê")), "H'Hen Niê");
  t.equal(nameOf(withField(2, '  Trần Thị B ')), 'Trần Thị B');
});

t.test(
  'extra fields: an 8th that is empty, an expiry date or "Không thời hạn" is accepted, nothing else',
  async (t) => {
    for (const eighth of ['', '01072046', 'Không thời hạn'])
      t.ok(parseCccdQr(`${withOldId}|${eighth}`, NOW).ok, eighth);
    t.same(parseCccdQr(`${withOldId}|hello`, NOW), {
      ok: false,
      reason: 'qr.malformed',
      detail: '8th field is neither empty nor an expiry date',
    });
    t.match(parseCccdQr(`${withOldId}|01012020`, NOW), { ok: false, reason: 'qr.bad-date' }, 'expiry before issue');
    t.same(parseCccdQr(`${withOldId}||`, NOW), { ok: false, reason: 'qr.malformed', detail: '9 fields, expected 7' });
    t.match(parseCccdQr(`${withOldId}|01072046|Nguyễn Văn B`, NOW), { ok: false, reason: 'qr.malformed' });
  },
);

/** Characters a name must never carry: controls, format (bidi, zero-width, BOM) and other default-ignorables. */
const invisibleChar = fc
  .integer({ min: 0, max: 0x10ffff })
  .map((cp) => String.fromCodePoint(cp))
  .filter((c) => /^[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]$/u.test(c));
const knownInvisibles = fc.constantFrom(
  '\u0000',
  '\u001F',
  '\u007F',
  '\u0085',
  '\u00AD',
  '\u061C',
  '\u180E',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u200E',
  '\u200F',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2060',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u3164',
  '\uFE0F',
  '\uFEFF',
  '\u{E0001}',
);

t.test('an invisible or control character anywhere in the name makes the QR qr.bad-name', async () => {
  const name = 'Nguyễn Văn A';
  fc.assert(
    fc.property(fc.oneof(invisibleChar, knownInvisibles), fc.integer({ min: 0, max: name.length }), (c, at) => {
      const r = parseCccdQr(withField(2, name.slice(0, at) + c + name.slice(at)), NOW);
      return !r.ok && r.reason === 'qr.bad-name';
    }),
    { numRuns: 1000 },
  );
});

t.test('whatever name field is given, an accepted name is NFC, visible and has a letter', async () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 5 }), (a, b) => {
      const r = parseCccdQr(withField(2, a.replaceAll('|', '') + b.replaceAll('|', '')), NOW);
      if (!r.ok) return r.reason === 'qr.bad-name';
      const n = r.value.identity.name!;
      return n === n.normalize('NFC') && isPrintedName(n) && !/[\p{Cc}\p{Cf}]/u.test(n) && /\p{L}/u.test(n);
    }),
    { numRuns: 2000 },
  );
});

t.test('any QR with more than 8 fields, or an 8th field that is no date, is qr.malformed', async () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.string({ maxLength: 12 }).map((f) => f.replaceAll('|', '')),
        { minLength: 1, maxLength: 4 },
      ),
      (extra) => {
        const r = parseCccdQr([withOldId, ...extra].join('|'), NOW);
        if (extra.length > 1) return !r.ok && r.reason === 'qr.malformed';
        const [eighth] = extra as [string];
        const dated = parseDdMmYyyy(eighth) !== null;
        return r.ok ? eighth === '' || dated || eighth === 'Không thời hạn' : dated || r.reason === 'qr.malformed';
      },
    ),
    { numRuns: 2000 },
  );
});

// ---- Issue #11 review, finding 9: the expiry, the address, and names in other scripts or stacked marks.

/** The 7-field QR with an 8th field holding an expiry date. */
const withExpiry = (ddmmyyyy: string) => `${withOldId}|${ddmmyyyy}`;
const ddmmyyyy = (iso: string) => `${iso.slice(8, 10)}${iso.slice(5, 7)}${iso.slice(0, 4)}`;

t.test('a QR whose printed expiry has passed reports the document expired, as a chip does', async (t) => {
  t.match(parseCccdQr(withExpiry('01012025'), NOW), {
    ok: true,
    value: { expiresOn: '2025-01-01', documentExpired: true },
  });
  t.match(parseCccdQr(withExpiry('28112026'), NOW), { ok: true, value: { documentExpired: false } }, 'today');
  t.match(parseCccdQr(withExpiry('01072046'), NOW), { ok: true, value: { documentExpired: false } });
  t.match(parseCccdQr(withExpiry('Không thời hạn'), NOW), { ok: true, value: { documentExpired: false } });
  t.match(parseCccdQr(withOldId, NOW), { ok: true, value: { documentExpired: false } }, 'no 8th field');
});

t.test('for any expiry date on or after the issue date, expired means before today', async () => {
  const day = 86_400_000;
  const issued = Date.parse('2021-07-01T00:00:00Z');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 40 * 365 }), (days) => {
      const iso = new Date(issued + days * day).toISOString().slice(0, 10);
      const r = parseCccdQr(withExpiry(ddmmyyyy(iso)), NOW);
      return r.ok && r.value.expiresOn === iso && r.value.documentExpired === iso < '2026-11-28';
    }),
    { numRuns: 500 },
  );
});

for (const [what, address] of [
  ['a right-to-left override (U+202E)', 'Phường Minh Khai, \u202EThành phố Phủ Lý'],
  ['a NUL', 'Phường Minh Khai\u0000'],
  ['an ESC sequence', 'Phường \u001B[2JMinh Khai'],
  ['CR/LF', 'Phường Minh Khai\r\nThành phố Phủ Lý'],
  ['a line separator (U+2028)', 'Phường Minh Khai\u2028Phủ Lý'],
  ['900 characters', 'Phường Minh Khai '.repeat(53)],
] as const) {
  t.test(`an address with ${what} is qr.malformed`, async (t) => {
    t.match(parseCccdQr(withField(5, address), NOW), { ok: false, reason: 'qr.malformed', detail: /address/ });
  });
}

t.test('a control or format character anywhere in the address makes the QR qr.malformed', async () => {
  const address = 'Phường Minh Khai, Thành phố Phủ Lý, Hà Nam';
  const separators = fc.constantFrom('\u2028', '\u2029', '\r', '\n', '\u001B');
  fc.assert(
    fc.property(
      fc.oneof(invisibleChar, knownInvisibles, separators),
      fc.integer({ min: 0, max: address.length }),
      (c, at) => {
        const r = parseCccdQr(withField(5, address.slice(0, at) + c + address.slice(at)), NOW);
        return !r.ok && r.reason === 'qr.malformed';
      },
    ),
    { numRuns: 1000 },
  );
});

/** Vietnamese letters, lower and upper, precomposed (NFC): what real addresses and names are made of. */
const VIETNAMESE_LETTERS = [
  ...'aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵfjwz',
];
const vietnameseWord = fc
  .array(fc.constantFrom(...VIETNAMESE_LETTERS, ...VIETNAMESE_LETTERS.map((c) => c.toUpperCase())), {
    minLength: 1,
    maxLength: 8,
  })
  .map((cs) => cs.join(''));

t.test('any printable address up to 200 characters is accepted; longer ones are not', async () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(vietnameseWord, fc.constantFrom(',', '/', '-', '12', 'Số 3')), {
        maxLength: 80,
        size: 'max', // lengths spread over the whole range, so both sides of 200 characters are tried
      }),
      (words) => {
        const address = words.join(' ').replaceAll('|', '');
        const r = parseCccdQr(withField(5, address), NOW);
        return address.normalize('NFC').length <= 200 ? r.ok : !r.ok && r.reason === 'qr.malformed';
      },
    ),
    { numRuns: 500 },
  );
});

t.test('any name of Vietnamese words is accepted, precomposed or decomposed', async () => {
  fc.assert(
    fc.property(fc.array(vietnameseWord, { minLength: 1, maxLength: 5 }), fc.boolean(), (words, nfd) => {
      const name = words.join(' ');
      return isPrintedName(nfd ? name.normalize('NFD') : name) && nameOf(withField(2, name)) === name;
    }),
    { numRuns: 1000 },
  );
});

/** Letters of other scripts that look like Latin ones (Cyrillic у, а, о, е, Greek ο, Α), and others plainly not. */
const foreignLetter = fc.oneof(
  fc.constantFrom('у', 'а', 'о', 'е', 'с', 'р', 'Н', 'ο', 'Α', 'ν', 'ا', 'ก', '한', '中'),
  fc
    .integer({ min: 0x370, max: 0x52f })
    .map((cp) => String.fromCodePoint(cp))
    .filter((c) => /\p{L}/u.test(c)),
);

t.test('a letter of another script anywhere among the Latin ones makes the name qr.bad-name', async () => {
  fc.assert(
    fc.property(fc.array(vietnameseWord, { minLength: 1, maxLength: 4 }), foreignLetter, fc.nat(), (words, c, n) => {
      const name = words.join(' ');
      const at = n % (name.length + 1);
      const r = parseCccdQr(withField(2, name.slice(0, at) + c + name.slice(at)), NOW);
      return !isPrintedName(name.slice(0, at) + c + name.slice(at)) && !r.ok && r.reason === 'qr.bad-name';
    }),
    { numRuns: 1000 },
  );
});

/** Combining marks in U+0300–U+036F: the diacritics Vietnamese uses come from here. */
const combiningMark = fc
  .integer({ min: 0x300, max: 0x36f })
  .filter((cp) => cp !== 0x34f) // the grapheme joiner is invisible, refused as such
  .map((cp) => String.fromCodePoint(cp));

t.test('up to 3 combining marks on a letter are accepted, more are qr.bad-name', async () => {
  fc.assert(
    fc.property(
      fc.array(combiningMark, { minLength: 1, maxLength: 12 }),
      fc.constantFrom('a', 'e', 'o', 'u', 'y', 'N'),
      (marks, base) => {
        const name = `Nguy${base}${marks.join('')}n Văn A`;
        // Counted after NFD: a precomposed letter brings its own marks, so the count is on the decomposed form.
        const decomposed = [...`${base}${marks.join('')}`.normalize('NFD')].length - 1;
        const expected = decomposed <= 3;
        const r = parseCccdQr(withField(2, name), NOW);
        return isPrintedName(name) === expected && (expected ? r.ok : !r.ok && r.reason === 'qr.bad-name');
      },
    ),
    { numRuns: 1000 },
  );
});

t.test('the names the review sent are refused; ethnic-minority names in Latin script are accepted', async (t) => {
  t.notOk(isPrintedName('Nguyễn Vаn Аn'), 'Cyrillic а among Latin');
  t.notOk(isPrintedName('Nguуễn Văn A'), 'Cyrillic у among Latin');
  t.notOk(isPrintedName(`Nguyễn Va${'\u0301'.repeat(90)}n A`), '90 stacked combining marks');
  t.notOk(isPrintedName('Nguyễn Văn Ⅳ'), 'a Roman numeral is Latin script but not a letter');
  for (const name of ["H'Hen Niê", 'Ksor Y Ơn', 'Lò Văn Pủa', 'Đặng Thị Ngọc Diệp', 'Hoàng Thị Ệ'])
    t.ok(isPrintedName(name), name);
});
