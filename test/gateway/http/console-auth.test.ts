// Console sessions over HTTP: cookie flags, CSRF, login backoff per source address, logout, roles, and the
// security headers.
import { request } from 'node:http';
import t from 'tap';
import { UserStore } from '../../../gateway/auth/users.js';
import { ApiClient, type Harness, PASSWORDS, startHarness } from '../console/harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness({
    console: {
      loginRateLimit: { max: 20, timeWindowMs: 60_000 },
      throttle: {
        freeFailuresPerAccount: 3,
        freeFailuresPerSource: 10,
        firstDelayMs: 60_000,
        maxDelayMs: 600_000,
        forgetAfterMs: 600_000,
        maxTracked: 100,
      },
    },
  });
  await new UserStore(h.gw.core.store.repos.auth).add('target', 'operator', 'target-pass-00001');
});
t.teardown(() => h.stop());

t.test('login sets an HttpOnly, SameSite=Strict session cookie and returns a CSRF token', async (t) => {
  const c = new ApiClient(h.url);
  const res = await c.login('op', PASSWORDS.op);
  t.equal(res.status, 200);
  const cookie = res.headers.get('set-cookie') ?? '';
  t.match(cookie, /^gate06-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
  t.match(await res.json(), { name: 'op', role: 'operator', csrfToken: /^[A-Za-z0-9_-]{43}$/ });
});

t.test('the session token is stored only as a hash', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('op', PASSWORDS.op);
  const token = c.cookie.split('=')[1]!;
  const rows = h.gw.core.store.db.prepare('SELECT id_hash FROM auth_sessions').all() as Array<{ id_hash: string }>;
  t.ok(rows.length > 0);
  t.notOk(rows.some((r) => r.id_hash === token));
});

t.test('a wrong password gets 401 and is recorded in the audit log without the password', async (t) => {
  const res = await new ApiClient(h.url).login('sec', 'not-the-password');
  t.equal(res.status, 401);
  const entry = h.gw.core.audit
    .list({ limit: 5 })
    .find((e) => e.action === 'auth.login' && e.outcome === 'denied:bad-password');
  t.match(entry, { actor: 'sec' });
  t.notMatch(h.logs.join(''), 'not-the-password');
});

t.test(
  'an unknown user name is logged as (unknown), so a password typed as a name never reaches the log',
  async (t) => {
    await new ApiClient(h.url).login('my-secret-typed-here', 'x');
    t.notMatch(h.logs.join(''), 'my-secret-typed-here');
    t.ok(h.gw.core.audit.list({ limit: 5 }).some((e) => e.actor === '(unknown)'));
  },
);

/** A login sent from a chosen loopback address (all of 127.0.0.0/8 reaches the server on 127.0.0.1). */
function loginFrom(localAddress: string, name: string, password: string) {
  return new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
    const body = JSON.stringify({ name, password });
    const req = request(
      `${h.url}/v1/auth/login`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test(
  'ten wrong passwords from one address slow that address (429, retry-after) but never lock the account',
  async (t) => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await loginFrom('127.0.0.3', 'target', 'wrong-password-x')).status);
    t.same(statuses.slice(0, 3), [401, 401, 401], 'the first failures are answered');
    t.ok(
      statuses.slice(3).every((s) => s === 429),
      'then the address is told to wait',
    );
    const refused = await loginFrom('127.0.0.3', 'target', 'target-pass-00001');
    t.equal(refused.status, 429, 'even the right password waits at that address');
    t.ok(Number(refused.retryAfter) > 0, 'with retry-after');
    const elsewhere = await loginFrom('127.0.0.4', 'target', 'target-pass-00001');
    t.equal(elsewhere.status, 200, 'the right password from another address gets in');
  },
);

t.test(
  'ten wrong passwords sent at once from one address: only the free ones are hashed and answered 401',
  async (t) => {
    // All ten are in flight before the first hash ends: the backoff must count them as they arrive.
    const statuses = (
      await Promise.all(Array.from({ length: 10 }, () => loginFrom('127.0.0.5', 'target', 'wrong-password-y')))
    ).map((r) => r.status);
    t.equal(statuses.filter((s) => s === 401).length, 3, 'three free failures');
    t.equal(statuses.filter((s) => s === 429).length, 7, 'the rest are told to wait');
  },
);

t.test('a state change with the session cookie but without the CSRF token is refused (403) and audited', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('op', PASSWORDS.op);
  const res = await c.fetch('/v1/console/lanes/L1/open', {
    body: { direction: 'in', reason: 'test reason' },
    csrf: null,
  });
  t.equal(res.status, 403);
  t.match(await res.json(), { error: 'forbidden', message: /CSRF/ });
  t.ok(
    h.gw.core.audit
      .list({ limit: 5 })
      .some((e) => e.action === 'access.denied' && (e.filter as { why?: string }).why === 'csrf'),
  );
});

t.test('a state change from another origin is refused even with the token', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('op', PASSWORDS.op);
  const res = await c.fetch('/v1/console/lanes/L1/open', {
    body: { direction: 'in', reason: 'test reason' },
    headers: { origin: 'http://evil.example' },
  });
  t.equal(res.status, 403);
});

t.test('after logout the cookie no longer works', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('op', PASSWORDS.op);
  t.equal((await c.fetch('/v1/auth/logout', { method: 'POST' })).status, 204);
  t.equal((await c.fetch('/v1/console/state')).status, 401);
});

t.test('an operator is refused the security and admin routes (403), and the refusal is audited', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('op', PASSWORDS.op);
  t.equal((await c.fetch('/v1/security/search', { body: {} })).status, 403);
  t.equal((await c.fetch('/v1/admin/audit')).status, 403);
  t.ok(h.gw.core.audit.list({ limit: 10 }).some((e) => e.action === 'access.denied' && e.actor === 'op'));
});

t.test('an admin switches free passage on with a reason, and it is in the event log', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('admin', PASSWORDS.admin);
  const res = await c.fetch('/v1/console/lanes/L2/free-passage', { body: { on: true, reason: 'lễ hội / festival' } });
  t.equal(res.status, 200);
  const requested = h.gw.core.store.query({ type: 'free-passage', limit: 10 }).find((e) => e.facts.by === 'admin');
  t.match(requested?.facts, { requested: true, by: 'admin', why: 'lễ hội / festival' });
});

t.test('browser-facing responses carry a strict CSP without unsafe-inline, and framing is refused', async (t) => {
  const res = await fetch(`${h.url}/console/`);
  const csp = res.headers.get('content-security-policy') ?? '';
  t.match(csp, "default-src 'self'");
  t.match(csp, "script-src 'self'");
  t.notMatch(csp, 'unsafe-inline');
  t.match(csp, "frame-ancestors 'none'");
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  t.match((await fetch(`${h.url}/healthz`)).headers.get('content-security-policy'), "default-src 'self'");
});

t.test('the console page has no inline script or style', async (t) => {
  const html = await (await fetch(`${h.url}/console/`)).text();
  t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
  t.notMatch(html, /<style/);
  t.notMatch(html, /\sstyle=/);
  t.notMatch(html, /\son[a-z]+=/, 'no inline event handlers');
  t.notMatch(html, /https?:\/\//, 'nothing loaded from another host');
});

t.test('the live stream ends when its session logs out', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('sec', PASSWORDS.sec);
  const res = await c.fetch('/v1/live');
  t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  const first = Buffer.from((await reader.read()).value!).toString();
  t.match(first, 'retry: 3000');
  await c.fetch('/v1/auth/logout', { method: 'POST' });
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  t.pass('stream closed by the server');
});

// Last: it uses up this address's login budget.
t.test('logins from one address beyond the route limit get 429, whatever the account', async (t) => {
  let status = 0;
  for (let i = 0; i < 45 && status !== 429; i++) status = (await new ApiClient(h.url).login(`nobody${i}`, 'x')).status;
  t.equal(status, 429);
});
