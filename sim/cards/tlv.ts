// BER-TLV building for the LDS files (ICAO 9303-10 §4.x uses DER lengths and one- or two-byte tags).

/** DER length octets: short form below 128, long form (up to 4 bytes) above. */
export function derLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`length ${n} out of range`);
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** tag is written big-endian in as many bytes as it needs (0x61 → 61, 0x5F1F → 5F 1F, 0x7F61 → 7F 61). */
export function tlv(tag: number, ...value: Buffer[]): Buffer {
  const tagBytes: number[] = [];
  for (let t = tag; t > 0 || tagBytes.length === 0; t = Math.floor(t / 256)) tagBytes.unshift(t & 0xff);
  const content = Buffer.concat(value);
  return Buffer.concat([Buffer.from(tagBytes), derLength(content.length), content]);
}
