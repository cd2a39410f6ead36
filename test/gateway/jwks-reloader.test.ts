// The JWKS reloader on its own, on a temp file and a stepped clock: a changed file is read again after the
// check interval, an unchanged one is not, and a bad file keeps the last good keys and says why.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import t from 'tap';
import { ed25519KeyReloader, jwksReloader } from '../../gateway/jwks-reloader.js';

const set = (...kids: string[]): string =>
  JSON.stringify({ keys: kids.map((kid) => ({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid })) });

function fixture(initial: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'gate06-jwks-')), 'jwks.json');
  let version = 0;
  /** Writes the file with a new mtime, as a key rollout does (mtimes are compared, not contents). */
  const write = (text: string): void => {
    writeFileSync(file, text);
    version += 1;
    utimesSync(file, 1_700_000_000 + version, 1_700_000_000 + version);
  };
  write(initial);
  const clock = { ms: 1_000_000 };
  const infos: string[] = [];
  const errors: Array<{ msg: string; fields: object }> = [];
  const logger = {
    info: (_fields: object, msg: string) => infos.push(msg),
    error: (fields: object, msg: string) => errors.push({ fields, msg }),
  };
  let builds = 0;
  const keys = jwksReloader({
    file,
    what: 'ticket issuer keys',
    build: (jwks: JSONWebKeySet) => {
      builds += 1;
      return jwks.keys.map((k) => k.kid);
    },
    logger: logger as never,
    checkEveryMs: 5000,
    now: () => clock.ms,
  });
  return { file, write, clock, infos, errors, keys, builds: () => builds };
}

t.test('the keys are loaded at once and logged with their kids', async (t) => {
  const f = fixture(set('k1'));
  t.same(f.keys(), ['k1']);
  t.same(f.infos, ['ticket issuer keys loaded']);
});

t.test('a rotated file is used after the check interval, not before', async (t) => {
  const f = fixture(set('k1'));
  f.keys(); // the first call checks (no check yet)
  f.write(set('k1', 'k2'));
  f.clock.ms += 1000;
  t.same(f.keys(), ['k1'], 'within the interval: the keys in memory');
  f.clock.ms += 5000;
  t.same(f.keys(), ['k1', 'k2'], 'after it: the new file');
});

t.test('an unchanged file is not parsed again', async (t) => {
  const f = fixture(set('k1'));
  for (let i = 0; i < 3; i++) {
    f.clock.ms += 6000;
    f.keys();
  }
  t.equal(f.builds(), 1);
});

t.test('a half-written or non-JWKS file keeps the last good keys and logs why', async (t) => {
  const f = fixture(set('k1'));
  f.write('{"keys": [');
  f.clock.ms += 6000;
  t.same(f.keys(), ['k1']);
  t.match(f.errors, [{ msg: 'ticket issuer keys not reloaded', fields: { file: f.file } }]);
  f.write('{"kty": "OKP"}');
  f.clock.ms += 6000;
  t.same(f.keys(), ['k1']);
  t.match(f.errors[1], { fields: { err: /not a JWKS/ } });
  f.write(set('k3'));
  f.clock.ms += 6000;
  t.same(f.keys(), ['k3'], 'a good file after a bad one is used');
});

t.test('a file that is missing or bad at start throws: there are no good keys to keep', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-jwks-'));
  const logger = { info: () => {}, error: () => {} };
  const make = (file: string) => () =>
    jwksReloader({ file, what: 'ticket issuer keys', build: (j) => j, logger: logger as never });
  t.throws(make(join(dir, 'missing.json')), { code: 'ENOENT' });
  writeFileSync(join(dir, 'bad.json'), '[]');
  t.throws(make(join(dir, 'bad.json')), /not a JWKS/);
});

/** A real Ed25519 public JWK with a kid, as the IOC publishes its signer keys. */
const ed25519Jwk = (kid: string) => ({ ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid });

t.test('an IOC signer key rolled out is trusted and a withdrawn one refused, without a restart', async (t) => {
  const f = fixture(JSON.stringify({ keys: [ed25519Jwk('ioc-2026')] }));
  const errors: string[] = [];
  const logger = { info: () => {}, error: (fields: { err: string }) => errors.push(fields.err) };
  const keys = ed25519KeyReloader(f.file, 'IOC command signer keys', logger, { now: () => f.clock.ms });
  t.same([...keys().keys()], ['ioc-2026']);
  f.write(JSON.stringify({ keys: [ed25519Jwk('ioc-2027')] }));
  f.clock.ms += 6000;
  t.same([...keys().keys()], ['ioc-2027'], 'the old kid is gone with the file that withdrew it');
  // A set with no usable Ed25519 key would leave the gate taking no command (or a key of another kind):
  // it is refused like a half-written file, and the last good keys stay.
  f.write(JSON.stringify({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'r1' }] }));
  f.clock.ms += 6000;
  t.same([...keys().keys()], ['ioc-2027']);
  t.match(errors, [/holds no Ed25519 public key/]);
});

t.test('an IOC signer file with no usable key refuses the start, naming the file', async (t) => {
  const f = fixture(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'k', d: 'private-part' }] }));
  const logger = { info: () => {}, error: () => {} };
  t.throws(() => ed25519KeyReloader(f.file, 'watchlist signer keys', logger), new RegExp(`${f.file}.*no Ed25519`));
});
