// Signed gate publications (issue #11, finding 5): everything a gate publishes (counts, status, the last will,
// alarms, health) travels as a compact JWS (RFC 7515, alg EdDSA, Ed25519) made with that gate's own key, so
// the collector can tell a gate from anyone else on a shared broker.
//
// Protected header: { "alg": "EdDSA", "kid": "{site}/{gate}", "topic": "<the exact MQTT topic>" }.
// Payload: the JSON the topic map (topics.ts) describes, unchanged. The topic in the header stops a message
// signed for one topic (another gate's, or this gate's status) from being replayed on another; the kid is
// the gate's identity, looked up in the collector's registry by the topic's site and gate, never trusted as
// given. The same shape as the IOC's signed commands (gateway/telemetry/commands.ts), one format for both
// directions. It lives in contracts/ because both the gate (signing) and the collector (verifying) use it.
//
// node:crypto rather than jose: signing and verifying are synchronous here, which keeps the collector's
// validation a pure function and costs no promise per message on the ingest path.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
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

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

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
  const kid = gateKid(site, gate);
  // A gate publishes on five topics or so; the encoded header per topic is worth keeping.
  const headers = new Map<string, string>();
  return {
    kid,
    sign(topic, payload) {
      let header = headers.get(topic);
      if (header === undefined) {
        header = b64url(JSON.stringify({ alg: PUBLICATION_ALG, kid, topic }));
        headers.set(topic, header);
      }
      const input = `${header}.${b64url(payload)}`;
      return `${input}.${b64url(sign(null, Buffer.from(input), privateKey))}`;
    },
  };
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

const B64URL = /^[A-Za-z0-9_-]*$/;

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
  const text = body.toString('latin1');
  const parts = text.split('.');
  if (parts.length !== 3 || !parts.every((p) => p.length > 0 && B64URL.test(p)))
    return fail('unsigned', 'not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown; topic?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  } catch {
    return fail('unsigned', 'JWS header is not JSON');
  }
  if (header === null || typeof header !== 'object') return fail('unsigned', 'JWS header is not an object');
  if (header.alg !== PUBLICATION_ALG)
    return fail('bad-signature', `alg ${String(header.alg).slice(0, 20)} is not EdDSA`);
  const kid = gateKid(t.site, t.gate);
  // The key comes from the topic, so gate A's key can never vouch for gate B's topic, whatever kid it names.
  const key = registry.get(kid);
  if (!key) return fail('unknown-gate', `no key registered for ${kid}`);
  if (header.kid !== kid)
    return fail('wrong-topic', `signed by ${String(header.kid).slice(0, 90)}, published as ${kid}`);
  if (header.topic !== topic) return fail('wrong-topic', 'signed for another topic');
  let good = false;
  try {
    good = verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  } catch {
    good = false;
  }
  if (!good) return fail('bad-signature', `signature does not verify with the key of ${kid}`);
  return ok({ kid, payload: Buffer.from(p, 'base64url') });
}
