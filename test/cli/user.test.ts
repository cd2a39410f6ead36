// gate06 user: accounts for the console, with the password from stdin or a file, never from argv.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UserStore } from '../../gateway/auth/users.js';
import { EventStore } from '../../gateway/store/event-store.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'gate06-user-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const dbPath = join(dir, 'gw.db');
const config = join(dir, 'gateway.yaml');
writeFileSync(
  config,
  readFileSync(join(ROOT, 'seeds/demo/gateway.yaml'), 'utf8')
    .replace('jwksFile: ../issuer/jwks.json', `jwksFile: ${join(ROOT, 'seeds/issuer/jwks.json')}`)
    .replace('trustStore: trust', `trustStore: ${join(ROOT, 'seeds/demo/trust')}`)
    .replace('path: ../../var/demo/gateway.db', `path: ${dbPath}`),
);

const gate06 = (args: string[], stdin = '') =>
  spawnSync(process.execPath, [join(ROOT, 'bin/gate06.mjs'), 'user', ...args], {
    input: stdin,
    encoding: 'utf8',
    cwd: ROOT,
  });

const users = (): UserStore => new UserStore(new EventStore({ path: dbPath }).repos.auth);

t.test('user add reads the password from stdin and stores only a scrypt hash', async (t) => {
  const r = gate06(['add', '-c', config, '--name', 'lan.nguyen', '--role', 'operator'], 'a-long-password-01\n');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, 'user lan.nguyen added with role operator');
  t.notMatch(readFileSync(dbPath).toString('latin1'), 'a-long-password-01');
  t.match(await users().checkLogin('lan.nguyen', 'a-long-password-01'), { ok: true, user: { role: 'operator' } });
});

t.test('user add reads the password from --password-file', async (t) => {
  writeFileSync(join(dir, 'pw'), 'file-password-0002\n');
  const r = gate06([
    'add',
    '-c',
    config,
    '--name',
    'sec.tran',
    '--role',
    'security',
    '--password-file',
    join(dir, 'pw'),
  ]);
  t.equal(r.status, 0, r.stderr);
  t.match(await users().checkLogin('sec.tran', 'file-password-0002'), { ok: true });
});

t.test('a short password, an unknown role and a duplicate name are refused', async (t) => {
  t.equal(gate06(['add', '-c', config, '--name', 'short.pw', '--role', 'operator'], 'short\n').status, 1);
  t.equal(gate06(['add', '-c', config, '--name', 'x.role', '--role', 'root'], 'a-long-password-01\n').status, 1);
  t.equal(gate06(['add', '-c', config, '--name', 'lan.nguyen', '--role', 'admin'], 'a-long-password-01\n').status, 1);
});

t.test('there is no --password option: a password on the command line is a usage error', async (t) => {
  const r = gate06(['add', '-c', config, '--name', 'argv.pw', '--role', 'operator', '--password', 'visible-in-ps-01']);
  t.equal(r.status, 2);
});

t.test('user disable refuses further logins; user list shows it', async (t) => {
  t.equal(gate06(['disable', '-c', config, '--name', 'lan.nguyen']).status, 0);
  t.match(await users().checkLogin('lan.nguyen', 'a-long-password-01'), { ok: false, why: 'disabled' });
  t.match(gate06(['list', '-c', config]).stdout, /lan\.nguyen\toperator\tdisabled/);
});

t.test('--help describes the actions and exits 0', async (t) => {
  const r = gate06(['--help']);
  t.equal(r.status, 0);
  t.match(r.stdout, 'gate06 user <add|passwd|disable|enable|list>');
});
