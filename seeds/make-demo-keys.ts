// Generates the DEMO ONLY ticket issuer keys under seeds/issuer/. Never use them at a real site:
// a real site's JWKS comes from its ticketing system and its private key never reaches the gate.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const out = new URL('./issuer/', import.meta.url);
const make = (kid: string) => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' };
  const priv = {
    ...privateKey.export({ format: 'jwk' }),
    kid,
    alg: 'EdDSA',
    use: 'sig',
    comment: 'DEMO KEY - NOT FOR PRODUCTION',
  };
  return { pub, priv };
};
const current = make('demo-2026-a');
const next = make('demo-2026-b');
const rogue = make('demo-2026-a'); // same kid, other key: a forged ticket
const unknown = make('demo-unknown');
writeFileSync(new URL('jwks.json', out), `${JSON.stringify({ keys: [current.pub, next.pub] }, null, 2)}\n`);
writeFileSync(new URL('demo-issuer.private.jwk.json', out), `${JSON.stringify(current.priv, null, 2)}\n`);
writeFileSync(new URL('demo-issuer-next.private.jwk.json', out), `${JSON.stringify(next.priv, null, 2)}\n`);
writeFileSync(new URL('demo-forger.private.jwk.json', out), `${JSON.stringify(rogue.priv, null, 2)}\n`);
writeFileSync(new URL('demo-unknown.private.jwk.json', out), `${JSON.stringify(unknown.priv, null, 2)}\n`);
console.log('wrote DEMO keys to seeds/issuer/');
