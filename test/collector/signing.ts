// Test gates with their own Ed25519 keys: sign a payload as the gate would, and the registry entry for it.
import { generateKeyPairSync } from 'node:crypto';
import { createPublicationSigner, gatePublicJwk } from '../../contracts/publication-signature.js';

export interface TestGateKey {
  site: string;
  gate: string;
  /** the public JWK for the collector's registry */
  jwk: Record<string, unknown>;
  /** the private key as a JWK string (a gateway's mqtt.signingKey) */
  privateJwk: string;
  /** the body a gate publishes on `topic` for this JSON payload */
  sign(topic: string, payload: unknown): string;
}

export function testGateKey(site: string, gate: string): TestGateKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = createPublicationSigner(site, gate, privateKey);
  return {
    site,
    gate,
    jwk: gatePublicJwk(site, gate, privateKey),
    privateJwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
    sign: (topic, payload) => signer.sign(topic, typeof payload === 'string' ? payload : JSON.stringify(payload)),
  };
}

export const registryOf = (...gates: TestGateKey[]): { keys: Record<string, unknown>[] } => ({
  keys: gates.map((g) => g.jwk),
});
