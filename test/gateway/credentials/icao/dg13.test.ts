import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { parseDg13, vietnameseDateToIso } from '../../../../gateway/credentials/icao/dg13.js';
import * as build from '../../../../sim/cards/icao-build.js';

const SYNTHETIC = readFileSync(new URL('../../../fixtures/icao/cccd/EF_DG13_cccd_synthetic.bin', import.meta.url));

t.test('the synthetic CCCD DG13 yields every field by its number', async (t) => {
  const r = parseDg13(SYNTHETIC);
  if (!r.ok) throw new Error(r.detail);
  t.match(r.value, {
    version: 1,
    oid: '1.0.10646.1.0.8',
    personalId: '001099012345', // synthetic ID
    fullName: 'Nguyễn Văn A',
    dateOfBirth: '01/01/1999',
    sex: 'Nam',
    nationality: 'Việt Nam',
    ethnicity: 'Kinh',
    religion: 'Không',
    placeOfOrigin: 'Phủ Lý, Hà Nam',
    placeOfResidence: 'Phường Minh Khai, Phủ Lý, Hà Nam',
    dateOfIssue: '01/07/2021',
    dateOfExpiry: '01/01/2039',
    fatherName: 'Nguyễn Văn B',
    motherName: 'Trần Thị C',
    oldIdNumber: '168000001',
  });
  t.equal(r.value.spouseName, undefined, 'the empty field 14 means no spouse');
  t.same(r.value.unknownFields, {});
});

t.test('fields in another order, some removed and a longer name, still parse by number', async (t) => {
  const r = parseDg13(
    build.dg13([
      [9, build.utf8('Số 1 đường rất dài, Phường Lê Hồng Phong, Thành phố Phủ Lý, Tỉnh Hà Nam')],
      [2, build.utf8('Nguyễn Thị Thanh Hương Giang')],
      [1, build.printable('035200000001')], // synthetic ID
      [13, build.seq(build.utf8('Nguyễn Văn D'))],
    ]),
  );
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.value.personalId, '035200000001'); // synthetic ID
  t.equal(r.value.fullName, 'Nguyễn Thị Thanh Hương Giang');
  t.equal(r.value.fatherName, 'Nguyễn Văn D');
  t.equal(r.value.motherName, undefined);
  t.equal(r.value.dateOfBirth, undefined, 'absent fields stay absent');
});

t.test('unknown field numbers are kept raw', async (t) => {
  const r = parseDg13(
    build.dg13([
      [1, build.printable('001099012345')], // synthetic ID
      [21, build.printable('X1')],
    ]),
  );
  t.ok(r.ok && r.value.unknownFields[21].equals(build.printable('X1')));
});

t.test('field 16 is read as text', async (t) => {
  const r = parseDg13(build.dg13([[16, build.printable('ABCDEF0123456789')]]));
  t.equal(r.ok && r.value.field16, 'ABCDEF0123456789');
});

t.test('a personal ID that is not 12 digits is refused', async (t) => {
  t.match(parseDg13(build.dg13([[1, build.printable('00109901234')]])), {
    ok: false,
    reason: 'chip.malformed',
    detail: /12 digits/,
  });
});

t.test('a field number given twice is refused', async (t) => {
  t.match(
    parseDg13(
      build.dg13([
        [2, build.utf8('A')],
        [2, build.utf8('B')],
      ]),
    ),
    { ok: false, detail: /twice/ },
  );
});

t.test('dd/mm/yyyy dates convert to ISO, text does not', async (t) => {
  t.equal(vietnameseDateToIso('01/07/2021'), '2021-07-01');
  t.equal(vietnameseDateToIso('31/02/2021'), null);
  t.equal(vietnameseDateToIso('Không thời hạn'), null);
});

t.test('random and mutated DG13 bytes never throw', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => typeof parseDg13(Buffer.from(b)).ok === 'boolean'),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      (edits, cut) => {
        const copy = Buffer.from(SYNTHETIC);
        for (const [pos, byte] of edits) copy[pos % copy.length] = byte;
        return [parseDg13(copy), parseDg13(copy.subarray(0, cut % copy.length))].every(
          (r) => r.ok || (r.reason === 'chip.malformed' && Boolean(r.detail)),
        );
      },
    ),
    { numRuns: 2000 },
  );
});
