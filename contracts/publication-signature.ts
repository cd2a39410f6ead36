// Signed gate publications (issue #11, finding 5): everything a gate publishes (counts, status, the last will,
// alarms, health) travels as a compact JWS (RFC 7515, alg EdDSA, Ed25519) made with that gate's own key, so
// the collector can tell a gate from anyone else on a shared broker.
//
// Protected header: { "alg": "EdDSA", "kid": "{site}/{gate}", "topic": "<the exact MQTT topic>" }.
// Payload: the JSON the topic map (topics.ts) describes, unchanged. The topic in the header stops a message
// signed for one topic (another gate's, or this gate's status) from being replayed on another; the kid is
// the gate's identity, looked up in the collector's registry by the topic's site and gate, never trusted as
// given. The same shape as the IOC's signed commands (gateway/telemetry/commands.ts), one format for both
// directions, signed and checked by the one JWS module (jws.ts). It lives in contracts/ because both the gate
// (signing) and the collector (verifying) use it. Synchronous, which keeps the collector's validation a pure
// function and costs no promise per message on the ingest path.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createJwsSigner, type JwsRejection, verifyCompactJws } from './jws.js';
import { fail, ok, type Result } from './result.js';
import { parseTopic } from './topics.js';

export const PUBLICATION_ALG = 'EdDSA';

/** Why a publication's signature is refused; the collector counts these as its reject reasons. */
export type SignatureRejection = 'unsigned' | 'bad-signature' | 'unknown-gate' | 'wrong-topic';

/** The key id a gate signs with: its place in the topic tree. */
export const gateKid = (site: string, gate: string): string => `${site}/${gate}`;

export interface PublicationSigner {
  readonly kid: string;
  /** The message body to publish on `topic`: a compact JWS over `payload` (JSON text). */
  sign(topic: string, payload: string | Buffer): string;
}

/** Reads an Ed25519 private key from a PKCS#8 PEM or a JWK (JSON with `d`); errors say which form failed. */
export function parseSigningKey(bytes: Buffer): Result<KeyObject, 'signing-key'> {
  const text = bytes.toString('utf8').trim();
  try {
    const key = text.startsWith('{')
      ? createPrivateKey({ key: JSON.parse(text) as import('node:crypto').JsonWebKey, format: 'jwk' })
      : createPrivateKey(text);
    if (key.asymmetricKeyType !== 'ed25519')
      return fail('signing-key', `an Ed25519 key is needed, not ${key.asymmetricKeyType}`);
    return ok(key);
  } catch (err) {
    return fail('signing-key', `not an Ed25519 private key (PKCS#8 PEM or JWK): ${(err as Error).message}`);
  }
}

export function createPublicationSigner(site: string, gate: string, privateKey: KeyObject): PublicationSigner {
  const signer = createJwsSigner(gateKid(site, gate), privateKey);
  return { kid: signer.kid, sign: (topic, payload) => signer.sign(payload, { topic }) };
}

/** kid (`site/gate`) → that gate's public key. */
export type GateKeyRegistry = ReadonlyMap<string, KeyObject>;

const KID = /^[A-Za-z0-9_-]{1,40}\/[A-Za-z0-9_-]{1,40}$/;

/**
 * Builds the registry from a JWKS whose keys are Ed25519 (kty OKP, crv Ed25519) with kid `site/gate`.
 * Refuses the whole set on any bad or duplicate entry: a half-loaded registry would silently drop a gate.
 */
export function gateKeyRegistryFromJwks(jwks: unknown): Result<GateKeyRegistry, 'gate-keys'> {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return fail('gate-keys', 'not a JWKS: no "keys" array');
  const registry = new Map<string, KeyObject>();
  for (const [i, jwk] of keys.entries()) {
    const k = jwk as { kid?: unknown; kty?: unknown; crv?: unknown; d?: unknown };
    if (typeof k?.kid !== 'string' || !KID.test(k.kid))
      return fail('gate-keys', `keys.${i}.kid: must be "site/gate" (letters, digits, _ and -)`);
    if (k.kty !== 'OKP' || k.crv !== 'Ed25519') return fail('gate-keys', `keys.${i} (${k.kid}): not an Ed25519 key`);
    if (k.d !== undefined)
      return fail('gate-keys', `keys.${i} (${k.kid}): a private key; the collector needs public keys only`);
    if (registry.has(k.kid)) return fail('gate-keys', `keys.${i}: duplicate kid ${k.kid}`);
    try {
      registry.set(k.kid, createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }));
    } catch (err) {
      return fail('gate-keys', `keys.${i} (${k.kid}): ${(err as Error).message}`);
    }
  }
  return ok(registry);
}

/** The public half of a gate's key as a registry entry (fleet simulator, demo, tests). */
export function gatePublicJwk(site: string, gate: string, key: KeyObject): Record<string, unknown> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return { ...pub.export({ format: 'jwk' }), kid: gateKid(site, gate), alg: PUBLICATION_ALG, use: 'sig' };
}

/**
 * Checks a message body received on `topic` against the registry and returns the inner JSON payload.
 * Never throws: bad bytes of any kind come back as a rejection with a reason and a short detail.
 */
export function verifyPublication(
  topic: string,
  body: Buffer,
  registry: GateKeyRegistry,
): Result<{ kid: string; payload: Buffer }, SignatureRejection> {
  const t = parseTopic(topic);
  if (!t) return fail('wrong-topic', 'not a gate topic');
  // The key comes from the topic, so gate A's key can never vouch for gate B's topic, whatever kid it names.
  const kid = gateKid(t.site, t.gate);
  const v = verifyCompactJws(body.toString('latin1'), {
    keys: registry,
    kid,
    algorithms: [PUBLICATION_ALG],
    header: { topic },
  });
  if (v.ok) return ok({ kid, payload: v.value.payload });
  return fail(PUBLICATION_REJECTIONS[v.reason], v.detail);
}

const PUBLICATION_REJECTIONS: Record<JwsRejection, SignatureRejection> = {
  'jws.too-long': 'unsigned',
  'jws.not-compact': 'unsigned',
  'jws.header-not-json': 'unsigned',
  'jws.bad-header': 'bad-signature',
  'jws.alg-not-allowed': 'bad-signature',
  'jws.unknown-key': 'unknown-gate',
  'jws.wrong-kid': 'wrong-topic',
  'jws.wrong-header': 'wrong-topic',
  'jws.bad-signature': 'bad-signature',
};
