// AES-CMAC (RFC 4493) computed synchronously, for the simulated chip only. CardBehaviour.process is
// synchronous (drivers/chip-pcsc/card-channel.ts) while the aes-cmac package is Promise-based (WebCrypto),
// so the chip cannot use it; the terminal's side does. test/sim/cards/cccd-chip checks this function
// against aes-cmac on RFC 4493's examples and on random inputs.
import { createCipheriv } from 'node:crypto';
import { retailMac } from '../../../drivers/chip-pcsc/icao/sm-cipher.js';

const BLOCK = 16;
// The constant R_128 of RFC 4493 §2.3.
const R_128 = 0x87;

function aesEcb(key: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
}

/** Doubling in GF(2^128): shift left by one bit, folding the carry back in with R_128. */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((block[i] << 1) | (i + 1 < BLOCK ? block[i + 1] >> 7 : 0)) & 0xff;
  if (block[0] & 0x80) out[BLOCK - 1] ^= R_128;
  return out;
}

export function aesCmacSync(key: Uint8Array, message: Uint8Array): Uint8Array {
  const k1 = double(aesEcb(key, new Uint8Array(BLOCK)));
  const k2 = double(k1);
  const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const last = new Uint8Array(BLOCK);
  last.set(message.subarray((blocks - 1) * BLOCK));
  if (!complete) last[message.length - (blocks - 1) * BLOCK] = 0x80;
  const subkey = complete ? k1 : k2;
  let x: Uint8Array = new Uint8Array(BLOCK);
  for (let b = 0; b < blocks; b++) {
    const block = b === blocks - 1 ? last.map((v, i) => v ^ subkey[i]) : message.subarray(b * BLOCK, (b + 1) * BLOCK);
    x = aesEcb(
      key,
      x.map((v, i) => v ^ block[i]),
    );
  }
  return x;
}

/** The 8-byte SM MAC of the suite: retail MAC for 3DES, CMAC cut to 8 bytes for AES (9303-11 §9.8.6). */
export function chipMac(suite: '3des' | 'aes', key: Uint8Array, padded: Uint8Array): Uint8Array {
  return suite === '3des' ? retailMac(key, padded) : aesCmacSync(key, padded).subarray(0, 8);
}
