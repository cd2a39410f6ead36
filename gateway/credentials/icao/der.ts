// A small, bounded BER/DER reader for chip data. Chip files are BER in the wild: a real NZ EF.SOD
// uses indefinite lengths, so those are accepted; anything that would read past the buffer, nest
// deeper than MAX_DEPTH or use a length beyond MAX_LENGTH is refused with a DerError.
//
// Inside the icao module the parsers throw DerError and catch it at their exported function,
// which returns a Result: outside callers never see an exception.

/** Chip files are at most tens of KB (DG2 with a large JPEG a few hundred KB); 4 MB is generous. */
export const MAX_LENGTH = 4 * 1024 * 1024;
const MAX_DEPTH = 32;

export class DerError extends Error {}

export interface Tlv {
  /** Tag class bits (0x00 universal, 0x40 application, 0x80 context, 0xC0 private). */
  cls: number;
  constructed: boolean;
  /** Tag number within its class (multi-byte tags decoded). */
  num: number;
  /** The tag as it appears on the wire, e.g. 0x30, 0x77, 0x5f1f, 0x7f61. */
  tag: number;
  /** Offset of the first tag byte in `buf`. */
  start: number;
  /** Offset of the first value byte. */
  valueStart: number;
  /** Offset after the value (for indefinite lengths: before the end-of-contents octets). */
  valueEnd: number;
  /** Offset after the whole element (incl. end-of-contents octets). */
  end: number;
  buf: Buffer;
  depth: number;
}

export const UNIVERSAL = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  BMPString: 0x1e,
} as const;

/** Reads one element starting at `offset`, not beyond `limit`. */
export function readTlv(buf: Buffer, offset = 0, limit = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  if (offset >= limit) throw new DerError(`expected an element at offset ${offset}`);
  let p = offset;
  const first = buf[p++];
  const cls = first & 0xc0;
  const constructed = (first & 0x20) !== 0;
  let num = first & 0x1f;
  let tag = first;
  if (num === 0x1f) {
    num = 0;
    for (let i = 0; ; i++) {
      if (p >= limit || i >= 3) throw new DerError('bad multi-byte tag');
      const b = buf[p++];
      tag = tag * 256 + b;
      num = num * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (p >= limit) throw new DerError('missing length');
  const lenByte = buf[p++];
  if (lenByte === 0x80) {
    if (!constructed) throw new DerError('indefinite length on a primitive element');
    // Walk children until the end-of-contents octets 00 00.
    const valueStart = p;
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw new DerError('unterminated indefinite length');
      if (buf[q] === 0 && buf[q + 1] === 0) break;
      q = readTlv(buf, q, limit, depth + 1).end;
    }
    return { cls, constructed, num, tag, start: offset, valueStart, valueEnd: q, end: q + 2, buf, depth };
  }
  let length = lenByte;
  if (lenByte > 0x80) {
    const n = lenByte & 0x7f;
    if (n > 4) throw new DerError('length field too long');
    if (p + n > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++];
  }
  if (length > MAX_LENGTH) throw new DerError('element too large');
  if (p + length > limit) throw new DerError(`element at offset ${offset} runs past its container`);
  return {
    cls,
    constructed,
    num,
    tag,
    start: offset,
    valueStart: p,
    valueEnd: p + length,
    end: p + length,
    buf,
    depth,
  };
}

/** Parses a buffer that must hold exactly one element (trailing bytes are refused). */
export function readSingle(buf: Buffer): Tlv {
  const tlv = readTlv(buf, 0, buf.length);
  if (tlv.end !== buf.length) throw new DerError(`${buf.length - tlv.end} trailing bytes`);
  return tlv;
}

export function children(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) throw new DerError(`tag ${hexTag(tlv.tag)} is not constructed`);
  const out: Tlv[] = [];
  let p = tlv.valueStart;
  while (p < tlv.valueEnd) {
    const child = readTlv(tlv.buf, p, tlv.valueEnd, tlv.depth + 1);
    out.push(child);
    p = child.end;
  }
  return out;
}

export function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new DerError(`${what}: missing`);
  if (tlv.tag !== tag) throw new DerError(`${what}: expected tag ${hexTag(tag)}, got ${hexTag(tlv.tag)}`);
  return tlv;
}

export const hexTag = (tag: number): string => '0x' + tag.toString(16).padStart(2, '0');

/** The value bytes (a view, not a copy). */
export const value = (tlv: Tlv): Buffer => tlv.buf.subarray(tlv.valueStart, tlv.valueEnd);

/** The whole element as it appeared on the wire (a view). */
export const raw = (tlv: Tlv): Buffer => tlv.buf.subarray(tlv.start, tlv.end);

/** OCTET STRING contents; BER allows a constructed string made of primitive segments. */
export function octets(tlv: Tlv): Buffer {
  if (!tlv.constructed) return value(tlv);
  return Buffer.concat(children(tlv).map(octets));
}

export function oid(tlv: Tlv): string {
  expect(tlv, UNIVERSAL.OID, 'OID');
  const v = value(tlv);
  if (v.length === 0 || v.length > 64) throw new DerError('bad OID length');
  const arcs: number[] = [];
  let acc = 0;
  for (let i = 0; i < v.length; i++) {
    acc = acc * 128 + (v[i] & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((v[i] & 0x80) === 0) {
      if (arcs.length === 0) {
        const firstArc = acc < 40 ? 0 : acc < 80 ? 1 : 2;
        arcs.push(firstArc, acc - firstArc * 40);
      } else {
        arcs.push(acc);
      }
      acc = 0;
    } else if (i === v.length - 1) {
      throw new DerError('truncated OID');
    }
  }
  return arcs.join('.');
}

/** A small non-negative INTEGER (version numbers, DG numbers, field numbers). */
export function smallInt(tlv: Tlv): number {
  expect(tlv, UNIVERSAL.INTEGER, 'INTEGER');
  const v = value(tlv);
  if (v.length === 0 || v.length > 4) throw new DerError('INTEGER out of range');
  if (v[0] & 0x80) throw new DerError('negative INTEGER');
  return v.readUIntBE(0, v.length);
}

/** BIT STRING contents without the unused-bits byte (keys and signatures use whole bytes). */
export function bitStringBytes(tlv: Tlv): Buffer {
  expect(tlv, UNIVERSAL.BIT_STRING, 'BIT STRING');
  const v = value(tlv);
  if (v.length === 0) throw new DerError('empty BIT STRING');
  return v.subarray(1);
}

/** UTCTime / GeneralizedTime → Date. */
export function time(tlv: Tlv): Date {
  const s = value(tlv).toString('latin1');
  let m: RegExpMatchArray | null;
  let year: number;
  if (tlv.tag === UNIVERSAL.UTCTime) {
    m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/);
    if (!m) throw new DerError('bad UTCTime');
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 4.1.2.5.1
  } else if (tlv.tag === UNIVERSAL.GeneralizedTime) {
    m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/);
    if (!m) throw new DerError('bad GeneralizedTime');
    year = Number(m[1]);
  } else {
    throw new DerError(`expected a time, got tag ${hexTag(tlv.tag)}`);
  }
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
  if (Number.isNaN(d.getTime())) throw new DerError('invalid time');
  return d;
}

/** Re-encodes a length for building small structures (tests, re-tagging). */
export function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, content: Buffer): Buffer {
  const tagBytes: number[] = [];
  for (let t = tag; t > 0; t = Math.floor(t / 256)) tagBytes.unshift(t & 0xff);
  return Buffer.concat([Buffer.from(tagBytes.length ? tagBytes : [0]), encodeLength(content.length), content]);
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The text of an ASN.1 string element, or null when the element is not one of the string types. */
export function stringValue(tlv: Tlv): string | null {
  const v = value(tlv);
  switch (tlv.tag) {
    case UNIVERSAL.UTF8String:
      return v.toString('utf8');
    case UNIVERSAL.PrintableString:
    case UNIVERSAL.IA5String:
    case UNIVERSAL.T61String:
    case UNIVERSAL.VisibleString:
      return v.toString('latin1');
    case UNIVERSAL.BMPString:
      return v.length % 2 === 0 ? Buffer.from(v).swap16().toString('utf16le') : null;
    default:
      return null;
  }
}
