import fc from 'fast-check';
import t from 'tap';
import { decodeCardBody, encodeCardBody } from '../../../drivers/chip-reader/card-body.js';
import type { ChipRead } from '../../../drivers/chip-reader/index.js';

const file = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a));
const readArb: fc.Arbitrary<ChipRead> = fc
  .record({
    com: fc.option(file, { nil: undefined }),
    sod: file,
    groups: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 16 }), file), { selector: ([n]) => n, maxLength: 6 }),
  })
  .map(({ com, sod, groups }) =>
    com ? { com, sod, dataGroups: new Map(groups) } : { sod, dataGroups: new Map(groups) },
  );

const same = (a: ChipRead, b: ChipRead) =>
  (a.com === undefined ? b.com === undefined : b.com !== undefined && a.com.equals(b.com)) &&
  a.sod.equals(b.sod) &&
  a.dataGroups.size === b.dataGroups.size &&
  [...a.dataGroups].every(([n, v]) => b.dataGroups.get(n)?.equals(v) === true);

t.test('property: any set of files survives encode then decode', async () => {
  fc.assert(
    fc.property(readArb, (read) => {
      const back = decodeCardBody(encodeCardBody(read));
      return back.ok && same(back.value, read);
    }),
  );
});

t.test('property: random bytes decode to a card or a card error, never a throw', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const r = decodeCardBody(Buffer.from(bytes));
      return r.ok || ['card.malformed', 'card.no-sod', 'card.too-large'].includes(r.reason);
    }),
  );
});

t.test('property: a valid body with mutated or cut bytes decodes to a result, never a throw', async () => {
  fc.assert(
    fc.property(
      readArb,
      fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
      fc.nat(20),
      (read, edits, cut) => {
        const body = encodeCardBody(read);
        const mutated = Buffer.from(body.subarray(0, Math.max(0, body.length - cut)));
        for (const e of edits) if (mutated.length) mutated[e.at % mutated.length] = e.value;
        return typeof decodeCardBody(mutated).ok === 'boolean';
      },
    ),
  );
});

t.test('a body without an EF.SOD is card.no-sod', async (t) => {
  const body = Buffer.from([0x01, 0, 0, 0, 1, 0x61]);
  const r = decodeCardBody(body);
  t.equal(r.ok ? null : r.reason, 'card.no-sod');
});

t.test('a file id outside EF.COM, EF.SOD and DG1..DG16 is card.malformed', async (t) => {
  const body = Buffer.from([0x1d, 0, 0, 0, 1, 0x77, 0x42, 0, 0, 0, 1, 0x00]);
  const r = decodeCardBody(body);
  t.equal(r.ok ? null : r.reason, 'card.malformed');
});

t.test('a data group sent twice is card.malformed', async (t) => {
  const body = Buffer.from([0x1d, 0, 0, 0, 1, 0x77, 0x01, 0, 0, 0, 1, 0x61, 0x01, 0, 0, 0, 1, 0x61]);
  const r = decodeCardBody(body);
  t.equal(r.ok ? null : r.reason, 'card.malformed');
});

t.test('a body over the card limit is card.too-large', async (t) => {
  const r = decodeCardBody(Buffer.alloc(101), 100);
  t.equal(r.ok ? null : r.reason, 'card.too-large');
});
