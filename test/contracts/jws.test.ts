// The one compact-JWS check and signer (contracts/jws.ts) that tickets, the watchlist, IOC commands and gate
// publications all use: what it refuses whatever the caller asks, what the caller can pin, and that no bytes
// make it throw or verify something nobody signed.
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { createJwsSigner, ed25519KeysFromJwks, type JwsCheck, verifyCompactJws } from '../../contracts/jws.js';

const issuer = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const keys: ReadonlyMap<string, KeyObject> = new Map([['issuer-1', issuer.publicKey]]);
const signer = createJwsSigner('issuer-1', issuer.privateKey);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
/** A token with any header, signed with `key` (Ed25519) over header.payload, as an attacker could make it. */
function handMade(header: unknown, payload = '{"a":1}', key: KeyObject = issuer.privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

t.test('a token made by the signer verifies and gives back its kid, header and payload', async (t) => {
  const token = signer.sign('{"hello":"gate"}', { topic: 'gate06/v1/s/g/counts' });
  const v = verifyCompactJws(token, { keys, header: { topic: 'gate06/v1/s/g/counts' } });
  t.match(v, { ok: true, value: { kid: 'issuer-1', header: { alg: 'EdDSA', kid: 'issuer-1' } } });
  if (v.ok) t.equal(v.value.payload.toString('utf8'), '{"hello":"gate"}');
  t.same(
    JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()),
    { alg: 'EdDSA', kid: 'issuer-1', topic: 'gate06/v1/s/g/counts' },
    'header fields in a fixed order: alg, kid, then the caller’s',
  );
  const typed = createJwsSigner('issuer-1', issuer.privateKey, { typ: 'gate06-ticket' }).sign('{}');
  t.match(verifyCompactJws(typed, { keys }), { ok: true, value: { header: { typ: 'gate06-ticket' } } });
});

t.test('alg none, HS256 and algorithms outside the allow-list are refused before any key is used', async (t) => {
  const [, p] = signer.sign('{"a":1}').split('.') as [string, string];
  t.match(verifyCompactJws(`${b64({ alg: 'none', kid: 'issuer-1' })}.${p}.AAAA`, { keys }), {
    ok: false,
    reason: 'jws.alg-not-allowed',
  });
  // The classic confusion: the public key's bytes used as an HMAC secret.
  const h = b64({ alg: 'HS256', kid: 'issuer-1' });
  const mac = createHmac('sha256', issuer.publicKey.export({ format: 'der', type: 'spki' }))
    .update(`${h}.${p}`)
    .digest('base64url');
  t.match(verifyCompactJws(`${h}.${p}.${mac}`, { keys }), { ok: false, reason: 'jws.alg-not-allowed' });
  t.match(verifyCompactJws(handMade({ kid: 'issuer-1' }), { keys }), { ok: false, reason: 'jws.alg-not-allowed' });
  const ed25519Named = handMade({ alg: 'Ed25519', kid: 'issuer-1' });
  t.match(verifyCompactJws(ed25519Named, { keys }), { ok: true }, 'the RFC 9864 name is accepted by default');
  t.match(verifyCompactJws(ed25519Named, { keys, algorithms: ['EdDSA'] }), {
    ok: false,
    reason: 'jws.alg-not-allowed',
  });
});

t.test('the key comes from the key set by kid, never from the header', async (t) => {
  const embedded = { ...stranger.publicKey.export({ format: 'jwk' }) };
  t.match(
    verifyCompactJws(handMade({ alg: 'EdDSA', kid: 'issuer-1', jwk: embedded }, '{}', stranger.privateKey), { keys }),
    {
      ok: false,
      reason: 'jws.bad-signature',
    },
  );
  t.match(verifyCompactJws(handMade({ alg: 'EdDSA', kid: 'other-9' }, '{}', stranger.privateKey), { keys }), {
    ok: false,
    reason: 'jws.unknown-key',
  });
  t.match(verifyCompactJws(handMade({ alg: 'EdDSA' }), { keys }), { ok: false, reason: 'jws.bad-header' });
  t.match(verifyCompactJws(handMade({ alg: 'EdDSA', kid: 'issuer-1', crit: ['exp'] }), { keys }), {
    ok: false,
    reason: 'jws.bad-header',
  });
});

t.test('a pinned kid picks the key, and a header naming another kid is refused', async (t) => {
  const pinned: JwsCheck = { keys: new Map([['s/g1', issuer.publicKey]]), kid: 's/g1' };
  t.match(verifyCompactJws(createJwsSigner('s/g1', issuer.privateKey).sign('{}'), pinned), { ok: true });
  t.match(verifyCompactJws(createJwsSigner('s/g2', issuer.privateKey).sign('{}'), pinned), {
    ok: false,
    reason: 'jws.wrong-kid',
  });
  t.match(verifyCompactJws(createJwsSigner('s/g1', issuer.privateKey).sign('{}'), { ...pinned, kid: 's/g3' }), {
    ok: false,
    reason: 'jws.unknown-key',
  });
});

t.test('a required header field must be there with exactly its value', async (t) => {
  const check: JwsCheck = { keys, header: { topic: 'gate06/v1/s/g/cmd/resend' } };
  t.match(verifyCompactJws(signer.sign('{}', { topic: 'gate06/v1/s/g/cmd/resend' }), check), { ok: true });
  t.match(verifyCompactJws(signer.sign('{}', { topic: 'gate06/v1/s/g/cmd/free-passage' }), check), {
    ok: false,
    reason: 'jws.wrong-header',
  });
  t.match(verifyCompactJws(signer.sign('{}'), check), { ok: false, reason: 'jws.wrong-header' });
});

t.test('shape: too long, not three base64url parts, a header that is not a JSON object', async (t) => {
  const token = signer.sign('{}');
  t.match(verifyCompactJws(token, { keys, maxLength: token.length - 1 }), { ok: false, reason: 'jws.too-long' });
  t.match(verifyCompactJws(token.split('.').slice(0, 2).join('.'), { keys }), { ok: false, reason: 'jws.not-compact' });
  t.match(verifyCompactJws(`${token}.x`, { keys }), { ok: false, reason: 'jws.not-compact' });
  t.match(verifyCompactJws(` ${token}`, { keys }), { ok: false, reason: 'jws.not-compact' });
  t.match(verifyCompactJws(`${b64('[1]')}.${b64('{}')}.AAAA`, { keys }), { ok: false, reason: 'jws.header-not-json' });
  t.match(verifyCompactJws(`${b64('{')}.${b64('{}')}.AAAA`, { keys }), { ok: false, reason: 'jws.header-not-json' });
  const wrongKeyType = new Map([['issuer-1', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey]]);
  t.match(verifyCompactJws(token, { keys: wrongKeyType }), { ok: false, reason: 'jws.bad-signature' });
});

t.test('a JWKS gives its Ed25519 public keys by kid; other keys are skipped, a duplicate kid refused', async (t) => {
  const pub = (k: KeyObject, kid: string) => ({ ...k.export({ format: 'jwk' }), kid });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
  const set = ed25519KeysFromJwks({
    keys: [pub(issuer.publicKey, 'a'), pub(rsa, 'rsa-1'), { ...issuer.privateKey.export({ format: 'jwk' }), kid: 'p' }],
  });
  t.ok(set.ok);
  if (set.ok) t.same([...set.value.keys()], ['a']);
  t.match(ed25519KeysFromJwks({ keys: [pub(issuer.publicKey, 'a'), pub(stranger.publicKey, 'a')] }), {
    ok: false,
    reason: 'jwks.invalid',
    detail: /two keys with kid a/,
  });
  t.match(ed25519KeysFromJwks({}), { ok: false, reason: 'jwks.invalid' });
  t.match(ed25519KeysFromJwks(null), { ok: false, reason: 'jwks.invalid' });
});

t.test('random text never throws and never verifies', async () => {
  const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split(''));
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: alphabet, maxLength: 300 })),
      (text) => !verifyCompactJws(text, { keys }).ok,
    ),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 80 }), (h, p, s) => {
      const token = `${b64(h)}.${Buffer.from(p).toString('base64url') || 'e30'}.${Buffer.from(s).toString('base64url') || 'AA'}`;
      return !verifyCompactJws(token, { keys }).ok;
    }),
    { numRuns: 2000 },
  );
});

t.test('a mutated token never throws, and verifies only if it decodes to the very bytes that were signed', async () => {
  const token = signer.sign(JSON.stringify({ tid: 'T-0001', site: 'hn-tamchuc', uses: 1 }));
  const decoded = (tk: string) => tk.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex'));
  const original = decoded(token);
  const mutation = fc.oneof(
    // replace one character
    fc
      .tuple(fc.nat(token.length - 1), fc.string({ minLength: 1, maxLength: 1 }))
      .map(([i, c]) => token.slice(0, i) + c + token.slice(i + 1)),
    // delete a range
    fc.tuple(fc.nat(token.length - 1), fc.nat(20)).map(([i, n]) => token.slice(0, i) + token.slice(i + n + 1)),
    // insert text
    fc.tuple(fc.nat(token.length), fc.string({ maxLength: 8 })).map(([i, s]) => token.slice(0, i) + s + token.slice(i)),
    // swap two parts
    fc.tuple(fc.nat(2), fc.nat(2)).map(([a, b]) => {
      const parts = token.split('.');
      [parts[a], parts[b]] = [parts[b]!, parts[a]!];
      return parts.join('.');
    }),
  );
  fc.assert(
    fc.property(mutation, (mutated) => {
      const v = verifyCompactJws(mutated, { keys });
      // base64url's last character carries spare bits a decoder ignores: such a change leaves the bytes as signed.
      return !v.ok || JSON.stringify(decoded(mutated)) === JSON.stringify(original);
    }),
    { numRuns: 3000 },
  );
});
