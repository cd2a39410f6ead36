// Generates the DEMO ONLY IOC signing key (watchlists, signed commands) under seeds/ioc/.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const kid = 'demo-ioc-2026';
const out = new URL('./ioc/', import.meta.url);
writeFileSync(
  new URL('jwks.json', out),
  `${JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' }] }, null, 2)}\n`,
);
writeFileSync(
  new URL('demo-ioc.private.jwk.json', out),
  `${JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', comment: 'DEMO KEY - NOT FOR PRODUCTION' }, null, 2)}\n`,
);
console.log('wrote DEMO IOC key to seeds/ioc/');
