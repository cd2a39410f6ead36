// The IOC's side of a signed command (docs/mqtt/README.md, "Signed commands"): the command JSON as the
// payload of a compact JWS, EdDSA over Ed25519, whose protected header names the key (`kid`) and the exact
// topic it is for, so the gate can refuse it on any other gate or verb. Used by `gate06 cmd send`, the demo
// and the tests; a real IOC does the same with its own key. The signing itself is contracts/jws.ts.
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createJwsSigner } from '../../contracts/jws.js';

export interface CommandSigningKey {
  kid: string;
  key: KeyObject;
}

/** Reads a private Ed25519 JWK with a `kid` (seeds/ioc/demo-ioc.private.jwk.json is the DEMO one). */
export function loadCommandSigningKey(privateJwkFile: string): CommandSigningKey {
  const jwk = JSON.parse(readFileSync(privateJwkFile, 'utf8')) as JsonWebKey;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string')
    throw new TypeError(`${privateJwkFile}: not a private Ed25519 JWK`);
  const kid = jwk.kid;
  if (typeof kid !== 'string' || kid === '') throw new TypeError(`${privateJwkFile}: the JWK has no kid`);
  return { kid, key: createPrivateKey({ key: jwk, format: 'jwk' }) };
}

/** The message body to publish on `topic`: a compact JWS over the command's JSON. */
export function signCommand(signer: CommandSigningKey, topic: string, command: object): string {
  return createJwsSigner(signer.kid, signer.key).sign(JSON.stringify(command), { topic });
}
