// BER-TLV reading for card responses and LDS files (ISO/IEC 7816-4 §5.2, X.690 §8.1). Every function here
// takes bytes from outside and returns null (or an empty list) for anything it cannot parse; none throws.

export interface Tlv {
  /** The tag bytes as one number (5F1F, 7F49 ...). */
  tag: number;
  /** Whether bit 6 of the first tag byte says "constructed". */
  constructed: boolean;
  value: Uint8Array;
  /** Offset just past this TLV in the buffer it was read from. */
  end: number;
  /** Offset of the tag's first byte. */
  start: number;
}

// Tags longer than 3 bytes and lengths longer than 4 bytes do not occur in ICAO 9303 data.
const MAX_TAG_BYTES = 3;
const MAX_LENGTH_BYTES = 4;

/** Reads the header (tag + length) at `offset`; null when it is cut short or out of the bounds above. */
export function readTlvHeader(
  bytes: Uint8Array,
  offset = 0,
): { tag: number; constructed: boolean; headerLength: number; valueLength: number } | null {
  let i = offset;
  if (i >= bytes.length) return null;
  const first = bytes[i++];
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let tagBytes = 1;
    for (;;) {
      if (i >= bytes.length || tagBytes >= MAX_TAG_BYTES) return null;
      const b = bytes[i++];
      tag = tag * 256 + b;
      tagBytes++;
      if ((b & 0x80) === 0) break;
    }
  }
  if (i >= bytes.length) return null;
  const lengthByte = bytes[i++];
  let valueLength = lengthByte;
  if (lengthByte === 0x80) return null; // indefinite length: not DER, not used on chips
  if (lengthByte > 0x80) {
    const n = lengthByte & 0x7f;
    if (n > MAX_LENGTH_BYTES || i + n > bytes.length) return null;
    valueLength = 0;
    for (let k = 0; k < n; k++) valueLength = valueLength * 256 + bytes[i++];
  }
  return { tag, constructed: (first & 0x20) !== 0, headerLength: i - offset, valueLength };
}

/** One TLV at `offset`, or null when it does not fit in the buffer. */
export function readTlv(bytes: Uint8Array, offset = 0): Tlv | null {
  const header = readTlvHeader(bytes, offset);
  if (!header) return null;
  const valueStart = offset + header.headerLength;
  const end = valueStart + header.valueLength;
  if (end > bytes.length) return null;
  return {
    tag: header.tag,
    constructed: header.constructed,
    value: bytes.subarray(valueStart, end),
    start: offset,
    end,
  };
}

/** All TLVs laid end to end in `bytes`; null when any of them is cut short or there are bytes left over. */
export function readTlvList(bytes: Uint8Array): Tlv[] | null {
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const item = readTlv(bytes, offset);
    if (!item) return null;
    items.push(item);
    offset = item.end;
  }
  return items;
}

/** The first child with `tag`, or undefined. */
export function findTag(items: readonly Tlv[], tag: number): Tlv | undefined {
  return items.find((item) => item.tag === tag);
}

/** DER length octets. */
export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  return Uint8Array.of(0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** One TLV; the tag is written in as many bytes as it needs. */
export function encodeTlv(tag: number, ...value: Uint8Array[]): Uint8Array {
  const tagBytes: number[] = [];
  for (let t = tag; t > 0 || tagBytes.length === 0; t = Math.floor(t / 256)) tagBytes.unshift(t & 0xff);
  const content = concatBytes(...value);
  return concatBytes(Uint8Array.from(tagBytes), encodeLength(content.length), content);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Dotted form of a DER OBJECT IDENTIFIER's content octets; null for a malformed encoding. */
export function decodeOid(content: Uint8Array): string | null {
  if (content.length === 0 || content.length > 64) return null;
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i];
    if (value === 0 && b === 0x80) return null; // non-minimal arc
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return null;
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(first, value - first * 40);
      } else arcs.push(value);
      value = 0;
    } else if (i === content.length - 1) return null;
  }
  return arcs.join('.');
}

/** Content octets of an OBJECT IDENTIFIER in dotted form (the caller gives a well-formed one). */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

/** A DER INTEGER's content as a non-negative number; null when it is negative or too large. */
export function decodeSmallInteger(content: Uint8Array): number | null {
  if (content.length === 0 || content.length > 4 || (content[0] & 0x80) !== 0) return null;
  let n = 0;
  for (const b of content) n = n * 256 + b;
  return n;
}

/** A DER INTEGER's content as a bigint (unsigned reading: curve parameters are positive). */
export function decodeBigInteger(content: Uint8Array): bigint | null {
  if (content.length === 0 || content.length > 129) return null;
  let n = 0n;
  for (const b of content) n = (n << 8n) | BigInt(b);
  return n;
}
