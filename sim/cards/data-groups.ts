// Builds the LDS files of a synthetic CCCD: EF.COM, DG1 (MRZ), DG2 (face), DG13 (Vietnamese fields).
import * as asn1js from 'asn1js';
import sharp from 'sharp';
import { cccdMrz } from './mrz.js';
import { fullName, type SyntheticPerson } from './people.js';
import { tlv } from './tlv.js';

export const DG_TAG: Readonly<Record<number, number>> = {
  1: 0x61,
  2: 0x75,
  3: 0x63,
  4: 0x76,
  5: 0x65,
  6: 0x66,
  7: 0x67,
  8: 0x68,
  9: 0x69,
  10: 0x6a,
  11: 0x6b,
  12: 0x6c,
  13: 0x6d,
  14: 0x6e,
  15: 0x6f,
  16: 0x70,
};

/** DG1: 61 { 5F1F <the 90 MRZ characters> }. */
export function buildDg1(mrz: readonly string[]): Buffer {
  return tlv(0x61, tlv(0x5f1f, Buffer.from(mrz.join(''), 'ascii')));
}

export function mrzOf(person: SyntheticPerson, expiry = person.expiry): [string, string, string] {
  return cccdMrz({
    id: person.id,
    dateOfBirth: person.dateOfBirth,
    sex: person.sex,
    expiry,
    surname: person.surname,
    givenNames: person.givenNames,
  });
}

/** EF.COM: LDS 1.7, Unicode 4.0.0, and the tags of the data groups present. */
export function buildCom(dataGroups: Iterable<number>): Buffer {
  const tags = Buffer.from([...dataGroups].sort((a, b) => a - b).map((n) => DG_TAG[n]));
  return tlv(
    0x60,
    tlv(0x5f01, Buffer.from('0107', 'ascii')),
    tlv(0x5f36, Buffer.from('040000', 'ascii')),
    tlv(0x5c, tags),
  );
}

// Portrait size and quality of a CCCD chip photo (a 240×320 JPEG of 10–30 KB).
const PORTRAIT_WIDTH = 240;
const PORTRAIT_HEIGHT = 320;
const PORTRAIT_QUALITY = 80;

/** Re-encodes any image as the chip portrait; with no image, draws a plainly artificial SYNTHETIC placeholder. */
export async function portraitJpeg(source?: string | Buffer): Promise<Buffer> {
  const input = source ?? placeholderSvg();
  return sharp(input)
    .rotate()
    .resize(PORTRAIT_WIDTH, PORTRAIT_HEIGHT, { fit: 'cover', position: 'attention' })
    .jpeg({ quality: PORTRAIT_QUALITY })
    .toBuffer();
}

function placeholderSvg(): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${PORTRAIT_WIDTH}" height="${PORTRAIT_HEIGHT}">` +
      '<rect width="100%" height="100%" fill="#dfe6ee"/>' +
      '<ellipse cx="120" cy="140" rx="62" ry="80" fill="#c9a58a"/>' +
      '<rect x="50" y="230" width="140" height="90" rx="40" fill="#3a5a80"/>' +
      '<text x="120" y="305" font-size="22" text-anchor="middle" fill="#fff">SYNTHETIC</text></svg>',
  );
}

/**
 * ISO/IEC 19794-5:2005 face record: general header (14 bytes), one facial information block (20 bytes,
 * no feature points), image information (12 bytes), then the JPEG.
 */
export function faceRecord(jpeg: Buffer, width = PORTRAIT_WIDTH, height = PORTRAIT_HEIGHT): Buffer {
  const FACIAL_INFO = 20;
  const IMAGE_INFO = 12;
  const header = Buffer.alloc(14);
  header.write('FAC\0', 0, 'latin1');
  header.write('010\0', 4, 'latin1');
  header.writeUInt32BE(14 + FACIAL_INFO + IMAGE_INFO + jpeg.length, 8);
  header.writeUInt16BE(1, 12); // one facial image
  const info = Buffer.alloc(FACIAL_INFO);
  info.writeUInt32BE(FACIAL_INFO + IMAGE_INFO + jpeg.length, 0); // this facial record's length
  info.writeUInt16BE(0, 4); // feature points
  info[6] = 0; // gender unspecified: the MRZ carries it
  info[7] = 0; // eye colour unspecified
  info[8] = 0; // hair colour unspecified
  info.writeUIntBE(0, 9, 3); // feature mask
  info.writeUInt16BE(0, 12); // expression unspecified
  // pose angles and uncertainties (6 bytes) stay 0 = unspecified
  const image = Buffer.alloc(IMAGE_INFO);
  image[0] = 0x01; // face image type: full frontal
  image[1] = 0x00; // image data type: JPEG
  image.writeUInt16BE(width, 2);
  image.writeUInt16BE(height, 4);
  image[6] = 0x01; // colour space: 24-bit RGB
  image[7] = 0x02; // source type: digital still camera
  image.writeUInt16BE(0, 8); // device type unspecified
  image.writeUInt16BE(0, 10); // quality unspecified
  return Buffer.concat([header, info, image, jpeg]);
}

/** DG2: 75 { 7F61 { 02 01 01, 7F60 { A1 {biometric header}, 5F2E {face record} } } } (ICAO 9303-10 CBEFF). */
export function buildDg2(jpeg: Buffer): Buffer {
  const biometricHeader = tlv(
    0xa1,
    tlv(0x80, Buffer.from([0x01, 0x01])), // patron header version 1.1
    tlv(0x81, Buffer.from([0x02])), // biometric type: facial features
    tlv(0x82, Buffer.from([0x00])), // no subtype
    tlv(0x87, Buffer.from([0x01, 0x01])), // format owner: ISO/IEC JTC 1/SC 37
    tlv(0x88, Buffer.from([0x00, 0x08])), // format type: face image (19794-5)
  );
  const instance = tlv(0x7f60, biometricHeader, tlv(0x5f2e, faceRecord(jpeg)));
  return tlv(0x75, tlv(0x7f61, tlv(0x02, Buffer.from([0x01])), instance));
}

/** YYYY-MM-DD → dd/mm/yyyy, the DG13 date form. */
const dmy = (isoDate: string) => `${isoDate.slice(8, 10)}/${isoDate.slice(5, 7)}/${isoDate.slice(0, 4)}`;

const field = (n: number, value: asn1js.BaseBlock) =>
  new asn1js.Sequence({ value: [new asn1js.Integer({ value: n }), value] });
const utf8 = (value: string) => new asn1js.Utf8String({ value });
const printable = (value: string) => new asn1js.PrintableString({ value });

/**
 * DG13 (Vietnam, tag 6D): SEQUENCE { INTEGER 1, OID 1.0.10646.1.0.8, SET OF SEQUENCE { INTEGER field, value } }
 * with the field numbers and string types of domain.md §2. Field 16 (purpose unknown) is left out.
 */
export function buildDg13(person: SyntheticPerson, expiry = person.expiry): Buffer {
  const fields = [
    field(1, printable(person.id)),
    field(2, utf8(fullName(person))),
    field(3, printable(dmy(person.dateOfBirth))),
    field(4, utf8(person.sex === 'M' ? 'Nam' : 'Nữ')),
    field(5, utf8('Việt Nam')),
    field(6, utf8(person.ethnicity)),
    field(7, utf8(person.religion)),
    field(8, utf8(person.hometown)),
    field(9, utf8(person.residence)),
    field(10, utf8(person.identifyingMarks)),
    field(11, printable(dmy(person.issueDate))),
    field(12, utf8(dmy(expiry))),
    field(13, new asn1js.Sequence({ value: [utf8(person.father), utf8(person.mother)] })),
    person.spouse === undefined
      ? new asn1js.Sequence({ value: [new asn1js.Integer({ value: 14 })] })
      : field(14, utf8(person.spouse)),
  ];
  if (person.oldId !== undefined) fields.push(field(15, printable(person.oldId)));
  const body = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.ObjectIdentifier({ value: '1.0.10646.1.0.8' }),
      new asn1js.Set({ value: fields }),
    ],
  });
  return tlv(0x6d, Buffer.from(body.toBER()));
}
