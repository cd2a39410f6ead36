import { connect } from 'node:net';
import Database from 'better-sqlite3';
import t from 'tap';
import { DEVICE_TOKEN, keys, STAFF_TOKEN, startHarness, ticket, until } from '../../helpers/harness.js';

const h = await startHarness();
t.teardown(() => h.stop());

const verify = (body: unknown, token: string | null = DEVICE_TOKEN, raw?: string) =>
  fetch(`${h.url}/v1/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
const onL1 = (credential: unknown) => ({ lane: 'L1', credential });

t.test('a valid ticket is allowed and its decision is in the log', async (t) => {
  const res = await verify(onL1({ kind: 'ticket', token: await ticket() }));
  t.equal(res.status, 200);
  const body = (await res.json()) as { decision: string; reason: string; eventId: string };
  t.same([body.decision, body.reason], ['allow', 'ok']);
  const ev = h.gateway.core.store.get(body.eventId);
  t.equal(ev?.decision, 'allow');
  t.equal(ev?.facts.source, 'http');
});

for (const [name, make, reason] of [
  ['a ticket with a wrong signature', () => ticket({}, keys.forger()), 'ticket.bad-signature'],
  ['a ticket signed by an unknown key', () => ticket({}, keys.unknown()), 'ticket.unknown-key'],
  ['an expired ticket', () => ticket({ validFromMs: Date.now() - 7200_000, validForMs: 3600_000 }), 'ticket.expired'],
  ['a ticket for another site', () => ticket({ site: 'hn-other-site' }), 'ticket.wrong-site'],
] as const) {
  t.test(`${name} is denied with ${reason}`, async (t) => {
    const res = await verify(onL1({ kind: 'ticket', token: await make() }));
    t.equal(res.status, 200);
    t.match(await res.json(), { decision: 'deny', reason });
  });
}

t.test('a ticket used beyond its uses is denied with ticket.uses-exhausted', async (t) => {
  const token = await ticket({ kind: 'multi', uses: 2 });
  // Leave through the exit between entries so anti-passback does not answer first.
  t.match(await (await verify(onL1({ kind: 'ticket', token }))).json(), { decision: 'allow' });
  t.match(await (await verify({ lane: 'L1', direction: 'out', credential: { kind: 'ticket', token } })).json(), {
    decision: 'allow',
  });
  t.match(await (await verify(onL1({ kind: 'ticket', token }))).json(), { decision: 'allow' });
  t.match(await (await verify({ lane: 'L1', direction: 'out', credential: { kind: 'ticket', token } })).json(), {
    decision: 'allow',
  });
  t.match(await (await verify(onL1({ kind: 'ticket', token }))).json(), {
    decision: 'deny',
    reason: 'ticket.uses-exhausted',
  });
});

t.test('a CCCD QR whose printed expiry has passed is denied qr.expired; one still valid is allowed', async (t) => {
  const base = '035199000456||Trần Thị Hạn|15021999|Nữ|Xã Thanh Hà, Huyện Thanh Liêm, Hà Nam|10082022'; // synthetic ID
  t.match(await (await verify(onL1({ kind: 'cccd-qr', text: `${base}|10082024` }))).json(), {
    decision: 'deny',
    reason: 'qr.expired',
  });
  t.match(await (await verify(onL1({ kind: 'cccd-qr', text: `${base}|15022039` }))).json(), {
    decision: 'allow',
    reason: 'ok',
  });
});

t.test('a second entry without an exit is denied by anti-passback', async (t) => {
  const token = await ticket({ kind: 'day' });
  t.match(await (await verify(onL1({ kind: 'ticket', token }))).json(), { decision: 'allow' });
  t.match(await (await verify(onL1({ kind: 'ticket', token }))).json(), {
    decision: 'deny',
    reason: 'policy.anti-passback',
  });
});

t.test('a CCCD QR with bad fields is denied with its own reason; a good one is allowed', async (t) => {
  const good = '035199000123||Trần Thị Thử|15021999|Nữ|Xã Thanh Hà, Huyện Thanh Liêm, Hà Nam|10082022'; // synthetic ID
  t.match(await (await verify(onL1({ kind: 'cccd-qr', text: good }))).json(), { decision: 'allow', reason: 'ok' });
  t.match(await (await verify(onL1({ kind: 'cccd-qr', text: good.replace('15021999', '31021999') }))).json(), {
    decision: 'deny',
    reason: 'qr.bad-date',
  });
  t.match(await (await verify(onL1({ kind: 'cccd-qr', text: good.replace('Nữ', 'F') }))).json(), {
    decision: 'deny',
    reason: 'qr.bad-sex',
  });
  const elevenDigits = good.replace('035199000123', '03519900012'); // synthetic ID
  t.match(await (await verify(onL1({ kind: 'cccd-qr', text: elevenDigits }))).json(), {
    decision: 'deny',
    reason: 'qr.bad-id',
  });
});

t.test('the log keeps a masked ID and a keyed hash, never the ID number or the name', async (t) => {
  const rows = h.gateway.core.store.db.prepare("SELECT * FROM events WHERE credential = 'cccd-qr'").all();
  const dump = JSON.stringify(rows);
  t.notMatch(dump, /035199000123/); // synthetic ID
  t.notMatch(dump, /Trần Thị Thử/);
  t.match(dump, /035\*{6}123/);
  t.notMatch(h.logs.lines.join('\n'), /035199000123|Trần Thị Thử/); // synthetic ID
});

t.test('a malformed body gets 400 with a JSON error', async (t) => {
  for (const body of [
    { lane: 'L1' },
    { lane: 'L1', credential: { kind: 'ticket' } },
    { lane: 'L1', credential: { kind: 'passport', number: 'x' } },
    { lane: 'L1', credential: { kind: 'ticket', token: 'x' }, extra: 1 },
  ]) {
    const res = await verify(body);
    t.equal(res.status, 400, JSON.stringify(body));
    t.match(await res.json(), { error: 'bad-request', message: String });
  }
  const res = await verify(null, DEVICE_TOKEN, '{"lane": "L1", ');
  t.equal(res.status, 400);
  t.match(await res.json(), { error: String, message: String });
});

t.test(
  'a lane id that no lane could have is refused with 400; a well-formed unknown one is a logged denial',
  async (t) => {
    for (const lane of ['L 1', '<script>\n', 'L1;DROP', 'x'.repeat(33), '']) {
      const res = await verify({ lane, credential: { kind: 'ticket', token: 'a.b.c' } });
      t.equal(res.status, 400, JSON.stringify(lane));
      t.match(await res.json(), { error: 'bad-request', message: /lane/ });
    }
    const res = await verify({ lane: 'L9', credential: { kind: 'ticket', token: 'a.b.c' }, actuate: false });
    t.equal(res.status, 200);
    const body = (await res.json()) as { decision: string; reason: string; eventId: string };
    t.match(body, { decision: 'deny', reason: 'policy.unknown-lane' });
    t.equal(h.gateway.core.store.get(body.eventId)?.lane, 'L9', 'logged under the lane the device named');
  },
);

/** One raw HTTP/1.1 exchange: what a client that fetch() would correct for us sends. */
async function rawHttp(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  let out = '';
  socket.on('data', (d) => (out += d));
  socket.write(request);
  await new Promise((r) => socket.once('close', r));
  return out;
}

t.test('a URL fastify cannot decode, and headers past the limit, get the same JSON errors, logged', async (t) => {
  const badUrl = await rawHttp(h.url, 'GET /v1/ev%ents HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  t.match(badUrl, /^HTTP\/1\.1 400/);
  t.match(badUrl, /"error":"bad-request"/);
  const bigHeader = await rawHttp(
    h.url,
    `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\nconnection: close\r\n\r\n`,
  );
  t.match(bigHeader, /^HTTP\/1\.1 431/);
  t.match(bigHeader, /"error":"headers-too-large"/);
  t.ok(
    h.logs.lines.some((l) => l.includes('request refused by the HTTP parser')),
    'the parser refusal is logged',
  );
});

t.test('a prototype-poisoning body is refused, and the message says why', async (t) => {
  const res = await verify(
    null,
    DEVICE_TOKEN,
    '{"lane":"L1","credential":{"kind":"ticket","token":"a.b.c"},"__proto__":{"admin":true}}',
  );
  t.equal(res.status, 400);
  t.match(await res.json(), { error: 'bad-json', message: /__proto__/ });
});

t.test('a body that is not JSON gets 415 naming application/json, whatever its type says', async (t) => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await fetch(`${h.url}/v1/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEVICE_TOKEN}`, 'content-type': type },
      body: JSON.stringify(onL1({ kind: 'ticket', token: 'a.b.c' })),
    });
    t.equal(res.status, 415, type);
    t.match(await res.json(), { error: 'unsupported-media-type', message: /application\/json/ }, type);
  }
});

t.test('an oversize body gets 413', async (t) => {
  const res = await verify(
    null,
    DEVICE_TOKEN,
    JSON.stringify({ lane: 'L1', credential: { kind: 'ticket', token: 'x' }, face: 'A'.repeat(3 * 1024 * 1024) }),
  );
  t.equal(res.status, 413);
  t.match(await res.json(), { error: 'payload-too-large' });
});

t.test(
  'no token gets 401, an integration token cannot verify (403), a device token cannot read the log (403)',
  async (t) => {
    t.equal((await verify(onL1({ kind: 'ticket', token: 'a.b.c' }), null)).status, 401);
    t.equal((await verify(onL1({ kind: 'ticket', token: 'a.b.c' }), 'wrong-token')).status, 401);
    t.equal((await verify(onL1({ kind: 'ticket', token: 'a.b.c' }), STAFF_TOKEN)).status, 403);
    t.equal((await fetch(`${h.url}/v1/events`, { headers: { authorization: `Bearer ${DEVICE_TOKEN}` } })).status, 403);
    const anonymous = await fetch(`${h.url}/v1/events`);
    t.equal(anonymous.status, 401);
    t.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="gate06"', 'a 401 says which scheme it wants');
  },
);

t.test('the bearer scheme name is case-insensitive', async (t) => {
  const res = await fetch(`${h.url}/v1/events?limit=1`, { headers: { authorization: `bearer ${STAFF_TOKEN}` } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('cache-control'), 'no-store', 'a page of the log is never cached');
});

t.test('GET /v1/events refuses times it would misread, and a range that runs backwards', async (t) => {
  const get = (q: string) => fetch(`${h.url}/v1/events?${q}`, { headers: { authorization: `Bearer ${STAFF_TOKEN}` } });
  for (const [q, message] of [
    ['from=1795916419', /looks like epoch seconds/],
    ['from=', /epoch milliseconds, or an ISO 8601 time/],
    ['to=yesterday', /epoch milliseconds, or an ISO 8601 time/],
    ['from=1795916419000&to=1795916418000', /from is after to/],
  ] as const) {
    const res = await get(q);
    t.equal(res.status, 400, q);
    t.match(await res.json(), { error: 'bad-request', message }, q);
  }
  t.equal((await get('from=0&to=2026-11-28T08:00:00%2B07:00')).status, 200, 'from 0 and an ISO time are fine');
});

t.test('GET /v1/events filters and pages, and the read is audited', async (t) => {
  const get = async (q: string) =>
    (await (
      await fetch(`${h.url}/v1/events?${q}`, { headers: { authorization: `Bearer ${STAFF_TOKEN}` } })
    ).json()) as { events: Array<{ decision: string; lane: string; seq: number }>; nextCursor: string | null };
  const denied = await get('decision=deny&type=decision&limit=3');
  t.equal(denied.events.length, 3);
  t.ok(denied.events.every((e) => e.decision === 'deny'));
  t.ok(denied.nextCursor);
  const next = await get(`decision=deny&type=decision&limit=3&cursor=${denied.nextCursor}`);
  t.ok(next.events[0]!.seq < denied.events[2]!.seq);
  const audit = h.gateway.core.audit.list({ limit: 5 });
  t.match(audit[0], { actor: 'integration-token-0', action: 'events.search', rows: next.events.length });
});

t.test('/healthz details and /metrics, with a token, count decisions', async (t) => {
  const auth = { headers: { authorization: `Bearer ${STAFF_TOKEN}` } };
  const health = (await (await fetch(`${h.url}/healthz`, auth)).json()) as {
    status: string;
    lanes: unknown[];
    store: { checkpoints: { running: boolean } | null };
  };
  t.equal(health.lanes.length, 2);
  t.match(health.store.checkpoints, { running: true }, 'WAL checkpoints run on their worker');
  const metrics = await (await fetch(`${h.url}/metrics`, auth)).text();
  t.match(metrics, /gate06_decisions_total\{decision="deny",reason="ticket.expired",credential="ticket"\} 1/);
  t.match(metrics, /gate06_decision_latency_seconds_bucket/);
  t.match(metrics, /gate06_device_link_up/);
  // The tests above sent malformed and oversize bodies, no token and the wrong token's role.
  for (const reason of ['bad-request', 'payload-too-large', 'unauthorized', 'forbidden'])
    t.match(metrics, new RegExp(`gate06_rejected_input_total\\{source="http",reason="${reason}"\\} [1-9]`), reason);
});

t.test(
  'while the event log cannot be written the answer is 503 with a deny and store.unavailable, never an allow',
  async (t) => {
    const locker = new Database(h.config.store.path);
    locker.exec('BEGIN EXCLUSIVE');
    const res = await verify(onL1({ kind: 'ticket', token: await ticket() }));
    locker.exec('COMMIT');
    locker.close();
    t.equal(res.status, 503);
    t.equal(res.headers.get('retry-after'), '1');
    t.same(await res.json(), {
      error: 'store-unavailable',
      message: 'the event log cannot be written; nothing is allowed until it can',
      decision: 'deny',
      reason: 'store.unavailable',
    });
    await until(async () => ((await (await fetch(`${h.url}/healthz`)).json()) as { status: string }).status === 'ok');
    t.match(await (await verify(onL1({ kind: 'ticket', token: await ticket() }))).json(), { decision: 'allow' });
  },
);

t.test('OpenAPI is served at /docs', async (t) => {
  const res = await fetch(`${h.url}/docs/json`);
  t.equal(res.status, 200);
  const spec = (await res.json()) as {
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; parameters?: Array<{ name: string; description?: string }> }>
    >;
  };
  // The documented answers are the ones the tests above get.
  t.same(Object.keys(spec.paths['/v1/verify']!.post!.responses).sort(), [
    '200',
    '400',
    '401',
    '403',
    '413',
    '415',
    '503',
  ]);
  t.same(Object.keys(spec.paths['/v1/events']!.get!.responses).sort(), ['200', '400', '401', '403']);
  const from = spec.paths['/v1/events']!.get!.parameters?.find((p) => p.name === 'from');
  t.match(from?.description, /epoch milliseconds/, 'from says what unit it takes');
});

t.test('the device API answers without browser headers, the rest of the server keeps them', async (t) => {
  const res = await verify(onL1({ kind: 'ticket', token: await ticket() }));
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-security-policy'), null);
  const docs = await fetch(`${h.url}/docs/`);
  t.match(docs.headers.get('content-security-policy'), "frame-ancestors 'none'");
  t.match((await fetch(`${h.url}/healthz`)).headers.get('x-content-type-options'), 'nosniff');
});
