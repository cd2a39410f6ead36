// Roles that match the jobs (issue #11, finding 7): a device token verifies, an integration token reads the log,
// only an operator's console session (with its CSRF token) moves a lane or settles an alarm, only an admin
// manages accounts, and nobody takes every live-stream slot.
import t from 'tap';
import { ApiClient, type Harness, PASSWORDS, startHarness } from '../console/harness.js';

const DEVICE = 'Bearer DEMO-device-token-0001';
const INTEGRATION = 'Bearer DEMO-integration-token-0001';

let h: Harness;
t.before(async () => {
  h = await startHarness();
});
t.teardown(() => h.stop());

const withToken = (token: string, path: string, body?: unknown) =>
  fetch(`${h.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const openL1 = { direction: 'in', reason: 'visitor in a wheelchair' };
const freePassage = { on: true, reason: 'festival crowd' };

t.test('an integration token reads and exports the log, and cannot open a lane, free it or ack an alarm', async (t) => {
  t.equal((await withToken(INTEGRATION, '/v1/events?limit=1')).status, 200);
  t.equal((await withToken(INTEGRATION, '/v1/security/search', {})).status, 200);
  t.equal((await withToken(INTEGRATION, '/v1/security/export', {})).status, 200);
  const alarm = h.gw.core.alarms.raise('door-held', 'L1');
  t.equal((await withToken(INTEGRATION, '/v1/console/lanes/L1/open', openL1)).status, 403);
  t.equal((await withToken(INTEGRATION, '/v1/console/lanes/L1/free-passage', freePassage)).status, 403);
  t.equal((await withToken(INTEGRATION, `/v1/console/alarms/${alarm.id}/ack`, {})).status, 403);
  t.equal((await withToken(INTEGRATION, '/v1/live')).status, 403);
  t.equal((await withToken(INTEGRATION, '/v1/admin/users')).status, 403);
  t.equal(h.gw.core.store.query({ type: 'manual-open', limit: 10 }).length, 0, 'no lane was opened');
});

t.test('a device token verifies only: no log, no lane, no users', async (t) => {
  t.equal((await withToken(DEVICE, '/v1/events?limit=1')).status, 403);
  t.equal((await withToken(DEVICE, '/v1/security/search', {})).status, 403);
  t.equal((await withToken(DEVICE, '/v1/console/lanes/L1/open', openL1)).status, 403);
  t.equal((await withToken(DEVICE, '/v1/console/state')).status, 403);
});

t.test('an operator session opens a lane and frees it only with the CSRF token', async (t) => {
  const op = new ApiClient(h.url);
  await op.login('op', PASSWORDS.op);
  t.equal((await op.fetch('/v1/console/lanes/L1/open', { body: openL1, csrf: null })).status, 403, 'no CSRF');
  t.equal((await op.fetch('/v1/console/lanes/L2/free-passage', { body: freePassage, csrf: null })).status, 403);
  const opened = await op.fetch('/v1/console/lanes/L1/open', { body: openL1 });
  t.equal(opened.status, 200, 'with CSRF');
  t.match(await opened.json(), { eventId: /^[0-9A-Z]{26}$/ });
  t.equal((await op.fetch('/v1/console/lanes/L2/free-passage', { body: freePassage })).status, 200);
  t.equal((await op.fetch('/v1/console/lanes/L2/free-passage', { body: { ...freePassage, on: false } })).status, 200);
});

t.test('an operator cannot add or change accounts; an admin can, and every change is audited', async (t) => {
  const op = new ApiClient(h.url);
  await op.login('op', PASSWORDS.op);
  const newUser = { name: 'lan.nguyen', role: 'operator', password: 'lan-password-0001' };
  t.equal((await op.fetch('/v1/admin/users', { body: newUser })).status, 403);
  t.equal((await op.fetch('/v1/admin/users/sec/password', { body: { password: 'taken-over-0001' } })).status, 403);
  const admin = new ApiClient(h.url);
  await admin.login('admin', PASSWORDS.admin);
  t.equal((await admin.fetch('/v1/admin/users', { body: newUser, csrf: null })).status, 403, 'not without CSRF');
  const added = await admin.fetch('/v1/admin/users', { body: newUser });
  t.equal(added.status, 201);
  t.match(await added.json(), { name: 'lan.nguyen', role: 'operator', disabled: false });
  t.notMatch(
    JSON.stringify(await (await admin.fetch('/v1/admin/users')).json()),
    'lan-password',
    'no hash, no password',
  );
  t.equal((await new ApiClient(h.url).login('lan.nguyen', newUser.password)).status, 200, 'the new account logs in');
  t.equal((await admin.fetch('/v1/admin/users/lan.nguyen/disabled', { body: { disabled: true } })).status, 204);
  t.equal((await new ApiClient(h.url).login('lan.nguyen', newUser.password)).status, 401, 'a disabled one does not');
  const actions = h.gw.core.audit
    .list({ limit: 20 })
    .filter((e) => e.actor === 'admin')
    .map((e) => e.action);
  t.ok(actions.includes('user.add') && actions.includes('user.disable'));
});

t.test('one user cannot take more than its share of live streams; others still get theirs', async (t) => {
  const op = new ApiClient(h.url);
  await op.login('op', PASSWORDS.op);
  const aborts: AbortController[] = [];
  const open = async (c: ApiClient) => {
    const abort = new AbortController();
    aborts.push(abort);
    const headers = { cookie: c.cookie };
    return fetch(`${h.url}/v1/live`, { headers, signal: abort.signal });
  };
  try {
    for (let i = 0; i < 4; i++) t.equal((await open(op)).status, 200, `stream ${i + 1}`);
    const fifth = await open(op);
    t.equal(fifth.status, 429);
    t.match(await fifth.json(), { error: 'too-many-requests', message: /at most 4 live streams/ });
    const sec = new ApiClient(h.url);
    await sec.login('sec', PASSWORDS.sec);
    t.equal((await open(sec)).status, 200, 'another user still gets a stream');
  } finally {
    for (const a of aborts) a.abort();
  }
});
