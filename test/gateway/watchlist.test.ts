import { spawnSync } from 'node:child_process';
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createJwsSigner, ed25519KeysFromJwks } from '../../contracts/jws.js';
import { keyedIdHash } from '../../gateway/credentials/identity.js';
import { signWatchlist, Watchlist } from '../../gateway/watchlist.js';
import { ROOT } from '../helpers/harness.js';

const IOC_KEY = join(ROOT, 'seeds/ioc/demo-ioc.private.jwk.json');
const IOC_JWKS = join(ROOT, 'seeds/ioc/jwks.json');
const demoIocKeys = ed25519KeysFromJwks(JSON.parse(readFileSync(IOC_JWKS, 'utf8')));
if (!demoIocKeys.ok) throw new Error(demoIocKeys.detail);
const IOC_KEYS = () => demoIocKeys.value;
const SITE_KEY = 'DEMO-site-key-not-for-production-0001';
const hash = (id: string) => keyedIdHash(Buffer.from(SITE_KEY), id);
const doc = (version: number, ids: string[], site = 'hn-tamchuc') =>
  signWatchlist(IOC_KEY, { version, site, issuedAt: 0, hashes: ids.map(hash) });

t.test('a signed list is loaded and checked by keyed hash', async (t) => {
  const w = new Watchlist(IOC_KEYS, 'hn-tamchuc');
  t.match(w.load(doc(2, ['001099012345'])), { ok: true, value: { version: 2, entries: 1 } }); // synthetic ID
  t.ok(w.isListed(hash('001099012345'))); // synthetic ID
  t.notOk(w.isListed(hash('001099054321'))); // synthetic ID
});

t.test('an older or equal version never replaces a newer one (a replayed command cannot roll back)', async (t) => {
  const w = new Watchlist(IOC_KEYS, 'hn-tamchuc');
  w.load(doc(5, ['001099012345'])); // synthetic ID
  t.match(w.load(doc(4, [])), { ok: false, reason: 'watchlist.not-newer' });
  t.match(w.load(doc(5, [])), { ok: false, reason: 'watchlist.not-newer' });
  t.ok(w.isListed(hash('001099012345'))); // synthetic ID
});

t.test('a tampered, foreign-site or garbled list is refused with a reason', async (t) => {
  const w = new Watchlist(IOC_KEYS, 'hn-tamchuc');
  const good = doc(1, ['001099012345']); // synthetic ID
  const [h, p, s] = good.split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ version: 9, site: 'hn-tamchuc', issuedAt: 0, hashes: [] })).toString(
    'base64url',
  );
  t.match(w.load(`${h}.${forged}.${s}`), { ok: false, reason: 'watchlist.bad-signature' });
  t.match(w.load(doc(1, [], 'hn-other')), { ok: false, reason: 'watchlist.wrong-site', detail: /hn-other/ });
  t.match(w.load('not a jws'), { ok: false, reason: 'watchlist.unsigned' });
  t.match(w.load(`${h}.${p}`), { ok: false, reason: 'watchlist.unsigned' });
});

t.test('a list signed by the IOC key without the watchlist type (say, made for a command) is refused', async (t) => {
  const w = new Watchlist(IOC_KEYS, 'hn-tamchuc');
  const jwk = JSON.parse(readFileSync(IOC_KEY, 'utf8')) as JsonWebKey & { kid: string };
  const body = JSON.stringify({ version: 3, site: 'hn-tamchuc', issuedAt: 0, hashes: [] });
  for (const header of [{}, { typ: 'gate06-command' }] as Record<string, string>[]) {
    const token = createJwsSigner(jwk.kid, createPrivateKey({ key: jwk, format: 'jwk' }), header).sign(body);
    t.match(w.load(token), { ok: false, reason: 'watchlist.bad-signature' }, JSON.stringify(header));
  }
  t.equal(w.currentVersion, -1, 'nothing was loaded');
});

t.test('gate06 watchlist sign turns ID numbers into a list the gateway accepts', async (t) => {
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin/gate06.mjs'),
      'watchlist',
      'sign',
      '--key',
      IOC_KEY,
      '--site',
      'hn-tamchuc',
      '--version',
      '7',
      '--site-key-env',
      'T_SITE_KEY',
    ],
    {
      input: '001099012345\n035199000123\n', // synthetic ID
      env: { ...process.env, T_SITE_KEY: SITE_KEY },
      encoding: 'utf8',
    },
  );
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /001099012345/); // synthetic ID
  const w = new Watchlist(IOC_KEYS, 'hn-tamchuc');
  t.match(w.load(r.stdout.trim()), { ok: true, value: { version: 7, entries: 2 } });
});

t.test(
  'the signer keys are asked at each load: after the IOC withdraws its key, a list it signed is refused',
  async (t) => {
    let trusted: ReadonlyMap<string, import('node:crypto').KeyObject> = demoIocKeys.value;
    const w = new Watchlist(() => trusted, 'hn-tamchuc');
    t.match(w.load(doc(1, [])), { ok: true });
    trusted = new Map();
    t.match(w.load(doc(2, [])), { ok: false, reason: 'watchlist.unknown-key' });
    t.equal(w.currentVersion, 1);
  },
);
