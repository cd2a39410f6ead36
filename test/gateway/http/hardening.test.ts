// What an unauthenticated or slow sender on the LAN can cost the box (issue #11, finding 6), and what /healthz
// and /metrics tell someone without a credential (finding 7). Raw sockets where the point is what the server
// does before a request is complete.
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { DEVICE_TOKEN, demoConfig, INTEGRATION_TOKEN, startHarness } from '../../helpers/harness.js';

const h = await startHarness({
  config: demoConfig((c) => {
    c.http.timeouts = { headersMs: 500, requestMs: 1500, idleMs: 10_000, keepAliveMs: 1000 };
  }),
});
t.teardown(() => h.stop());
const { hostname, port } = new URL(h.url);

interface Raw {
  socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
  /** The status code of the first response line, as soon as it arrives. */
  status: Promise<number>;
}

function raw(localAddress?: string): Raw {
  const socket = connect({ host: hostname, port: Number(port), localAddress });
  let text = '';
  let onStatus: (s: number) => void = () => {};
  const status = new Promise<number>((resolve) => {
    onStatus = resolve;
  });
  // A server that stops reading mid-body makes our writes fail; that is the expected end of those tests.
  socket.on('error', () => {});
  socket.on('data', (d) => {
    text += d.toString('latin1');
    const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (m) onStatus(Number(m[1]));
  });
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  return { socket, closed, status };
}

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

t.test('a 2 MB deeply nested body without a token is refused 401 before the server reads it', async (t) => {
  const body = nested(1024 * 1024);
  const c = raw();
  c.socket.write(
    `POST /v1/verify HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  // Only the first 64 KiB: a server that parsed before checking the token would still be waiting for the rest
  // (and would answer 408 once the request timeout passed), never 401.
  c.socket.write(body.slice(0, 64 * 1024));
  t.equal(await c.status, 401);
  const reply = await c.closed;
  t.match(reply, /connection: close/i, 'and the connection is closed instead of draining the body');
  t.match(reply, /"error":"unauthorized"/);
});

t.test('the same body with a device token is refused 400 json-too-deep, not parsed', async (t) => {
  const res = await fetch(`${h.url}/v1/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVICE_TOKEN}` },
    body: nested(1024 * 1024),
  });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: 'json-too-deep', message: /deeper than 32 levels/ });
});

t.test('bodies are bounded per route: a login or a search body of 20 KiB gets 413', async (t) => {
  const big = 'x'.repeat(20 * 1024);
  const login = await fetch(`${h.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'op', password: big }),
  });
  t.equal(login.status, 413);
  const search = await fetch(`${h.url}/v1/security/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INTEGRATION_TOKEN}` },
    body: JSON.stringify({ reason: big }),
  });
  t.equal(search.status, 413);
});

t.test('a body dribbled a byte at a time is cut by the request timeout (408)', async (t) => {
  const c = raw();
  c.socket.write(
    `POST /v1/verify HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${DEVICE_TOKEN}\r\n` +
      'content-type: application/json\r\ncontent-length: 1000\r\n\r\n{',
  );
  // One byte every 100 ms keeps the connection busy (an idle timeout never fires) but never completes.
  const drip = setInterval(() => c.socket.writable && c.socket.write(' '), 100);
  try {
    t.equal(await c.status, 408);
    t.match(await c.closed, /"error":"request-timeout"/);
  } finally {
    clearInterval(drip);
  }
});

t.test('headers sent too slowly are cut by the headers timeout (408)', async (t) => {
  const c = raw();
  c.socket.write(`GET /healthz HTTP/1.1\r\nhost: ${hostname}\r\n`);
  const drip = setInterval(() => c.socket.writable && c.socket.write('x-slow: 1\r\n'), 100);
  try {
    t.equal(await c.status, 408);
  } finally {
    clearInterval(drip);
  }
});

t.test('/healthz without a credential says only ok or degraded; with one it shows the lanes', async (t) => {
  const anonymous = (await (await fetch(`${h.url}/healthz`)).json()) as Record<string, unknown>;
  t.same(Object.keys(anonymous), ['status']);
  t.match(anonymous.status, /^(ok|degraded)$/);
  const wrong = (await (await fetch(`${h.url}/healthz`, { headers: { authorization: 'Bearer nope' } })).json()) as {
    lanes?: unknown;
  };
  t.equal(wrong.lanes, undefined, 'a wrong token gets the one word too');
  for (const token of [INTEGRATION_TOKEN, DEVICE_TOKEN]) {
    const detailed = (await (
      await fetch(`${h.url}/healthz`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { lanes: unknown[]; store: unknown };
    t.equal(detailed.lanes.length, 2);
    t.ok(detailed.store);
  }
});

t.test('/metrics without a credential is 401; with a token it is served', async (t) => {
  t.equal((await fetch(`${h.url}/metrics`)).status, 401);
  const res = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${INTEGRATION_TOKEN}` } });
  t.equal(res.status, 200);
  t.match(await res.text(), /gate06_rejected_input_total\{source="http",reason="json-too-deep"\} [1-9]/);
});

t.test('a gateway with a connection cap and an open metrics address', async (t) => {
  const capped = await startHarness({
    config: demoConfig((c) => {
      c.http.maxConnections = 4;
      c.http.metricsOpenTo = ['127.0.0.1'];
    }),
  });
  t.teardown(() => capped.stop());
  const u = new URL(capped.url);
  /** One request on its own connection (closed after the answer): its status, or 0 when dropped unanswered. */
  const get = (path: string, localAddress?: string): Promise<number> => {
    const s = connect({ host: u.hostname, port: Number(u.port), localAddress });
    s.on('error', () => {});
    let text = '';
    s.on('data', (d) => {
      text += d;
    });
    s.write(`GET ${path} HTTP/1.1\r\nhost: ${u.hostname}\r\nconnection: close\r\n\r\n`);
    return new Promise((r) => s.on('close', () => r(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0))));
  };

  t.test('/metrics is served without a token to a listed address only', async (t) => {
    t.equal(await get('/metrics', '127.0.0.1'), 200, 'from 127.0.0.1');
    t.equal(await get('/metrics', '127.0.0.2'), 401, 'from 127.0.0.2');
  });

  t.test('connections beyond the cap are dropped; a slot freed is usable again', async (t) => {
    // Four connections, each proven accepted by an answered keep-alive request.
    const held: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = connect({ host: u.hostname, port: Number(u.port) });
      s.on('error', () => {});
      const answered = new Promise<boolean>((r) => {
        s.once('data', () => r(true));
        s.once('close', () => r(false));
      });
      s.write(`GET /healthz HTTP/1.1\r\nhost: ${u.hostname}\r\n\r\n`);
      t.ok(await answered, `connection ${i + 1} is served`);
      held.push(s);
    }
    t.equal(await get('/healthz'), 0, 'the fifth connection is closed without an answer');
    held.pop()!.destroy();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await get('/healthz');
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    t.equal(status, 200, 'once one closes, a new connection is served');
    for (const s of held) s.destroy();
  });
});
