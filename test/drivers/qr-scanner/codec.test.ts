import fc from 'fast-check';
import t from 'tap';
import { decodeScan } from '../../../drivers/qr-scanner/codec.js';

const CCCD_LIKE = '001099012345||NGUYỄN VĂN MẪU|01011990|Nữ|Số 1, Phủ Lý, Hà Nam|15042021'; // synthetic ID

t.test('UTF-8 text with Vietnamese diacritics decodes to the same text', async (t) => {
  t.same(decodeScan(Buffer.from(CCCD_LIKE, 'utf8')), { ok: true, value: CCCD_LIKE });
});

t.test('bytes that are not strict UTF-8 are rejected as frame.bad-utf8', async (t) => {
  const r = decodeScan(Buffer.from([0x4e, 0xff, 0x41]));
  t.equal(r.ok, false);
  if (!r.ok) t.equal(r.reason, 'frame.bad-utf8');
});

t.test('Latin-1 encoded Vietnamese (a misconfigured scanner) is rejected, not guessed at', async (t) => {
  const r = decodeScan(Buffer.from('Nữ Hà', 'latin1'));
  t.equal(r.ok, false);
});

t.test('an empty or blank frame is rejected as frame.empty', async (t) => {
  for (const frame of [Buffer.alloc(0), Buffer.from('   ')]) {
    const r = decodeScan(frame);
    t.equal(r.ok ? 'ok' : r.reason, 'frame.empty');
  }
});

t.test('control characters (C0, DEL, C1) are rejected as frame.control-chars', async (t) => {
  for (const text of ['ab\u0000c', 'GS\u001dsep', 'tab\there', 'del\u007f', 'c1\u0085']) {
    const r = decodeScan(Buffer.from(text, 'utf8'));
    t.equal(r.ok ? 'ok' : r.reason, 'frame.control-chars', JSON.stringify(text));
  }
});

t.test('property: any bytes give a decoded string or a reason, never a throw', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decodeScan(bytes);
      if (!r.ok) return ['frame.bad-utf8', 'frame.empty', 'frame.control-chars'].includes(r.reason);
      return r.value.length > 0 && !/[\r\n]/.test(r.value) && Buffer.from(r.value, 'utf8').length <= bytes.length;
    }),
  );
});

t.test('property: mutating one byte of valid UTF-8 text never throws', async () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      (text, at, byte) => {
        const bytes = Buffer.from(text, 'utf8');
        bytes[at % bytes.length] = byte;
        const r = decodeScan(bytes);
        return r.ok ? typeof r.value === 'string' : typeof r.reason === 'string';
      },
    ),
  );
});

t.test('property: printable text round-trips', async () => {
  fc.assert(
    fc.property(
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
        .filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s) && s.trim() !== ''),
      (text) => {
        const r = decodeScan(Buffer.from(text, 'utf8'));
        return r.ok && r.value === text.replace(/^\uFEFF/, '');
      },
    ),
  );
});
