// The two block-cipher suites of ICAO 9303-11 secure messaging: 3DES with the ISO 9797-1 "retail" MAC
// (§9.8.6.1, used by BAC) and AES with CMAC (§9.8.6.2, used after PACE and CA on CCCD cards).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AesCmac } from 'aes-cmac';
import { concatBytes } from './tlv.js';

export interface SmCipherSuite {
  readonly name: '3des' | 'aes';
  readonly blockSize: number;
  /** Encrypts already padded data; 3DES uses a zero IV, AES the SSC encrypted under KSenc (§9.8.6.2). */
  encrypt(ksEnc: Uint8Array, ssc: Uint8Array, padded: Uint8Array): Uint8Array;
  decrypt(ksEnc: Uint8Array, ssc: Uint8Array, encrypted: Uint8Array): Uint8Array;
  /** The 8-byte MAC over data that is already padded to the block size. */
  mac(ksMac: Uint8Array, padded: Uint8Array): Promise<Uint8Array>;
}

/** ISO/IEC 9797-1 padding method 2: 80 then zeros up to the block size. */
export function pad(data: Uint8Array, blockSize: number): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / blockSize) + 1) * blockSize);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Strips padding method 2; null when it is not there (a decryption under the wrong key). */
export function unpad(data: Uint8Array): Uint8Array | null {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  return i >= 0 && data[i] === 0x80 ? data.subarray(0, i) : null;
}

function runCipher(
  algorithm: string,
  key: Uint8Array,
  iv: Uint8Array | null,
  data: Uint8Array,
  direction: 'encrypt' | 'decrypt',
) {
  const cipher = direction === 'encrypt' ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

const ZERO_IV_8 = new Uint8Array(8);

/** Two-key 3DES CBC with a zero IV (9303-11 §9.8.6.1). */
export const tdesEncrypt = (key: Uint8Array, data: Uint8Array) =>
  runCipher('des-ede-cbc', key, ZERO_IV_8, data, 'encrypt');
export const tdesDecrypt = (key: Uint8Array, data: Uint8Array) =>
  runCipher('des-ede-cbc', key, ZERO_IV_8, data, 'decrypt');

/**
 * ISO/IEC 9797-1 MAC algorithm 3 with DES (the "retail MAC") over padded data. Node refuses single DES, so
 * the single-DES CBC chain runs as 3DES with the key Ka‖Ka (E-D-E under one key is one E), and the final
 * D(Kb)-E(Ka) step likewise as 3DES decryption under Kb‖Kb and encryption under Ka‖Ka.
 */
export function retailMac(key: Uint8Array, padded: Uint8Array): Uint8Array {
  const ka = key.subarray(0, 8);
  const kb = key.subarray(8, 16);
  const kaKa = concatBytes(ka, ka);
  const chained = runCipher('des-ede-cbc', kaKa, ZERO_IV_8, padded, 'encrypt');
  const last = chained.subarray(chained.length - 8);
  const decrypted = runCipher('des-ede-ecb', concatBytes(kb, kb), null, last, 'decrypt');
  return runCipher('des-ede-ecb', kaKa, null, decrypted, 'encrypt');
}

export const TDES_SUITE: SmCipherSuite = {
  name: '3des',
  blockSize: 8,
  encrypt: (ksEnc, _ssc, padded) => tdesEncrypt(ksEnc, padded),
  decrypt: (ksEnc, _ssc, encrypted) => tdesDecrypt(ksEnc, encrypted),
  mac: async (ksMac, padded) => retailMac(ksMac, padded),
};

const aesName = (key: Uint8Array) => `aes-${key.length * 8}`;
const ZERO_IV_16 = new Uint8Array(16);

export const aesCbcEncrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) =>
  runCipher(`${aesName(key)}-cbc`, key, iv, data, 'encrypt');
export const aesCbcDecrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) =>
  runCipher(`${aesName(key)}-cbc`, key, iv, data, 'decrypt');

/** AES-CMAC (RFC 4493 via aes-cmac), truncated to 8 bytes as 9303-11 §9.8.6.2 asks. */
export async function cmac8(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const full = await new AesCmac(key).calculate(data);
  return new Uint8Array(full).subarray(0, 8);
}

export const AES_SUITE: SmCipherSuite = {
  name: 'aes',
  blockSize: 16,
  encrypt: (ksEnc, ssc, padded) => aesCbcEncrypt(ksEnc, aesCbcEncrypt(ksEnc, ZERO_IV_16, ssc), padded),
  decrypt: (ksEnc, ssc, encrypted) => aesCbcDecrypt(ksEnc, aesCbcEncrypt(ksEnc, ZERO_IV_16, ssc), encrypted),
  mac: cmac8,
};
