// http.staffTokens, the former name of http.integrationTokens: still accepted, with the integration role only,
// and a warning at every start so configs get renamed.
import t from 'tap';
import { demoConfig, startHarness } from '../../helpers/harness.js';

const OLD = 'DEMO-old-staff-token-0001';
const h = await startHarness({
  config: demoConfig((c) => {
    c.http.staffTokens = [{ demo: OLD }];
  }),
});
t.teardown(() => h.stop());
const as = (path: string, body?: unknown) =>
  fetch(`${h.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${OLD}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

t.test('a staffTokens token reads the log as an integration and warns at start', async (t) => {
  t.equal((await as('/v1/events?limit=1')).status, 200);
  t.match(h.gateway.core.audit.list({ limit: 1 })[0], { actor: 'staff-token-0', role: 'integration' });
  t.ok(h.logs.lines.some((l) => l.includes('http.staffTokens is deprecated')));
});

t.test('a staffTokens token cannot verify', async (t) => {
  t.equal((await as('/v1/verify', { lane: 'L1', credential: { kind: 'ticket', token: 'a.b.c' } })).status, 403);
});
