// One source must not take every HTTP connection slot (review of issue #11: 300 half-sent requests from one
// host locked every reader out of /v1/verify). Attackers bind to 127.0.0.2 and up; all of 127.0.0.0/8 is
// loopback here, so the server sees them as other hosts than the legitimate client on 127.0.0.1.
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import t from 'tap';
import { capConnectionsPerSource } from '../../../gateway/http/connection-caps.js';
import { DEVICE_TOKEN, demoConfig, INTEGRATION_TOKEN, startHarness, until } from '../../helpers/harness.js';

interface Attacker {
  socket: Socket;
  text: string;
  connected: boolean;
  closed: boolean;
}

/**
 * A slow-loris sender that never closes its side: half a request header, and allowHalfOpen so the server's
 * FIN alone does not end it. When the server ends, it writes once more: a server that only half-closed takes
 * the bytes and keeps the connection, one that destroyed it answers with a reset, and only then is it closed
 * here. It writes until then.
 */
function attacker(port: number, localAddress: string, request = 'GET /healthz HTTP/1.1\r\nhost: x\r\n'): Attacker {
  const socket = connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen: true });
  const a: Attacker = { socket, text: '', connected: false, closed: false };
  socket.on('error', () => {});
  socket.on('connect', () => {
    a.connected = true;
    socket.write(request);
  });
  socket.on('data', (d) => {
    a.text += d.toString('latin1');
  });
  let probe: NodeJS.Timeout | undefined;
  socket.on('end', () => {
    // Repeated: a write that crosses the server's close is read and dropped, the next one meets the reset.
    probe = setInterval(() => socket.writable && socket.write('x-still-here: 1\r\n'), 100);
  });
  socket.on('close', () => {
    clearInterval(probe);
    a.closed = true;
  });
  return a;
}

/** One GET on its own connection from `localAddress`: the status, or 0 when closed unanswered. */
function get(port: number, path: string, localAddress: string): Promise<number> {
  const s = connect({ host: '127.0.0.1', port, localAddress });
  s.on('error', () => {});
  let text = '';
  s.on('data', (d) => {
    text += d;
  });
  s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
  return new Promise((r) => s.on('close', () => r(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0))));
}

t.test('300 half-sent requests from one source', async (t) => {
  const h = await startHarness({
    config: demoConfig((c) => {
      // Long enough that all 300 connect while the first are still held, short enough for a test.
      c.http.timeouts = { headersMs: 4000, requestMs: 4000, idleMs: 60_000, keepAliveMs: 1000 };
    }),
  });
  t.teardown(() => h.stop());
  t.equal(h.config.http.maxConnections, 256, 'the default global cap');
  t.equal(h.config.http.maxConnectionsPerSource, 32, 'the default per-source cap');
  const port = Number(new URL(h.url).port);
  const attackers = Array.from({ length: 300 }, () => attacker(port, '127.0.0.2'));
  t.teardown(() => {
    for (const a of attackers) a.socket.destroy();
  });
  const refusedUnanswered = () => attackers.filter((a) => a.closed && a.text === '').length;

  await until(() => attackers.every((a) => a.connected || a.closed), 20_000, 'all 300 connected');

  t.test('do not stop a verify from another source', async (t) => {
    const res = await fetch(`${h.url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVICE_TOKEN}` },
      body: JSON.stringify({ lane: 'L1', credential: { kind: 'ticket', token: 'a.b.c' } }),
      signal: AbortSignal.timeout(15_000),
    }).catch((err: Error) => err);
    if (res instanceof Error) return t.fail(`the verify failed: ${res.message}`);
    t.equal(res.status, 200);
    t.match(await res.json(), { decision: 'deny' });
  });

  t.test('all but 32 of them are refused on accept, without an answer', async (t) => {
    await until(() => refusedUnanswered() === 300 - 32, 20_000, 'all but 32 refused on accept');
    t.pass('268 refused');
  });

  t.test('the same source beyond its cap is refused at once, without an answer', async (t) => {
    const one = attacker(port, '127.0.0.2');
    t.teardown(() => one.socket.destroy());
    await until(() => one.closed, 20_000, 'the extra connection closed');
    t.equal(one.text, '', 'refused on accept, before any timeout could answer it');
  });

  t.test('after the header timeout the held sockets are destroyed, not half-closed', async (t) => {
    await until(() => attackers.every((a) => a.closed), 30_000, 'every attacker socket closed by the server');
    const timedOut = attackers.filter((a) => /^HTTP\/1\.1 408/.test(a.text));
    t.equal(timedOut.length, 32, 'the 32 accepted ones were answered 408 first');
  });

  t.test('an idle keep-alive connection is destroyed too, not half-closed', async (t) => {
    const idle = attacker(port, '127.0.0.3', 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    t.teardown(() => idle.socket.destroy());
    await until(() => idle.closed, 30_000, 'the idle keep-alive connection closed by the server');
    t.match(idle.text, /^HTTP\/1\.1 200/, 'after its answer');
  });

  t.test('the source is served again once its sockets are gone', async (t) => {
    t.equal(await get(port, '/healthz', '127.0.0.2'), 200);
  });

  t.test('the refusals are counted as rejected input', async (t) => {
    const metrics = await (
      await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${INTEGRATION_TOKEN}` } })
    ).text();
    const m = /gate06_rejected_input_total\{source="http",reason="too-many-connections-from-source"\} (\d+)/.exec(
      metrics,
    );
    t.ok(m && Number(m[1]) >= 300 - 32 + 1, 'every refused connection counted');
    t.ok(
      h.logs.lines.some((l) => /too many open from this source/.test(l)),
      'and the source is logged',
    );
  });
});

t.test('the last eighth of the slots is kept for sources holding few connections', async (t) => {
  // Global cap 16: two slots reserved; 8 per source.
  const server = createServer((_req, res) => res.end('ok'));
  server.maxConnections = 16;
  const refused: string[] = [];
  const open = capConnectionsPerSource(server, {
    perSource: 8,
    maxConnections: 16,
    log: pino({ level: 'silent' }),
    onRefused: (e) => refused.push(e),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const held: Attacker[] = [];
  t.teardown(async () => {
    for (const a of held) a.socket.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const hold = async (localAddress: string, n: number) => {
    for (let i = 0; i < n; i++) held.push(attacker(port, localAddress));
    await until(() => (open.get(localAddress) ?? 0) === n, 10_000, `${n} held from ${localAddress}`);
  };
  await hold('127.0.0.2', 8);
  await hold('127.0.0.3', 6);
  const busy = attacker(port, '127.0.0.3');
  held.push(busy);
  await until(() => busy.closed, 10_000, 'the busy source refused');
  t.equal(open.get('127.0.0.3'), 6, 'a source holding 6 does not get a reserved slot');
  t.same(refused, ['too-many-connections-from-source']);
  t.equal(await get(port, '/', '127.0.0.4'), 200, 'a new source is still served from the reserve');
});
