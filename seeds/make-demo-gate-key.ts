// Generates the DEMO ONLY signing key of the demo gate (hn-tamchuc/gate-a, seeds/demo/gateway.yaml) under
// seeds/demo/gate-keys/: the private JWK the gate signs its MQTT publications with (mqtt.signingKey), and the
// JWKS registry the demo's collector checks them against (gates.keysFile).
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { gatePublicJwk } from '../contracts/publication-signature.js';

const site = 'hn-tamchuc';
const gate = 'gate-a';
const { privateKey } = generateKeyPairSync('ed25519');
const out = new URL('./demo/gate-keys/', import.meta.url);
writeFileSync(
  new URL('DEMO-gate-a.private.jwk.json', out),
  `${JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: `${site}/${gate}`, comment: 'DEMO KEY - NOT FOR PRODUCTION' }, null, 2)}\n`,
);
writeFileSync(
  new URL('jwks.json', out),
  `${JSON.stringify({ keys: [gatePublicJwk(site, gate, privateKey)] }, null, 2)}\n`,
);
console.log('wrote DEMO gate signing key to seeds/demo/gate-keys/');
