import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import t from 'tap';
import { type CommandHandlers, CommandInbox, CommandRefused } from '../../../gateway/telemetry/commands.js';
import { FakeClock, silentLogger, tempDir } from './fixtures/gate.js';

const SITE = 'site-a';
const GATE = 'gate-1';
const topic = (verb: string): string => `gate06/v1/${SITE}/${GATE}/cmd/${verb}`;

function setUp(
  t: { teardown: (fn: () => unknown) => void },
  opts: { dbPath?: string; signerJwks?: { keys: object[] }; handlers?: Partial<CommandHandlers> } = {},
) {
  const clock = new FakeClock();
  const tmp = opts.dbPath ? null : tempDir();
  const db = new Database(opts.dbPath ?? join(tmp!.dir, 'cmd.db'));
  const calls: Array<{ verb: string; id: string }> = [];
  const refused: string[] = [];
  const handlers: CommandHandlers = {
    'free-passage': (c) => void calls.push({ verb: 'free-passage', id: c.id }),
    resend: (c) => void calls.push({ verb: 'resend', id: c.id }),
    watchlist: (c) => void calls.push({ verb: 'watchlist', id: c.id }),
    ...opts.handlers,
  };
  const inbox = new CommandInbox({
    db,
    site: SITE,
    gate: GATE,
    handlers,
    logger: silentLogger,
    now: clock.now,
    signerJwks: opts.signerJwks as never,
    onRefused: (reason) => void refused.push(reason),
  });
  inbox.init();
  t.teardown(() => {
    db.close();
    tmp?.cleanup();
  });
  return { clock, inbox, calls, db, refused };
}

const freePassage = (clock: FakeClock, over: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      id: 'cmd-00000001',
      expiresAt: clock.now() + 60_000,
      lane: 'L1',
      on: true,
      reason: 'evacuation drill',
      ...over,
    }),
  );

t.test('a valid command runs its handler once', async (t) => {
  const { clock, inbox, calls, refused } = setUp(t);
  const out = await inbox.receive(topic('free-passage'), freePassage(clock), false);
  t.same(out, { ok: true, verb: 'free-passage', id: 'cmd-00000001' });
  t.same(calls, [{ verb: 'free-passage', id: 'cmd-00000001' }]);
  t.same(refused, [], 'nothing counted as refused');
});

t.test('an expired command does nothing and is counted as refused input', async (t) => {
  const { clock, inbox, calls, refused } = setUp(t);
  const out = await inbox.receive(topic('free-passage'), freePassage(clock, { expiresAt: clock.now() - 1 }), false);
  t.match(out, { ok: false, reason: 'cmd.expired' });
  t.same(calls, []);
  t.same(refused, ['cmd.expired']);
});

t.test('a repeated command does nothing', async (t) => {
  const { clock, inbox, calls } = setUp(t);
  await inbox.receive(topic('free-passage'), freePassage(clock), false);
  const again = await inbox.receive(topic('free-passage'), freePassage(clock), false);
  t.match(again, { ok: false, reason: 'cmd.repeated' });
  t.equal(calls.length, 1);
});

t.test('a command repeated after a restart does nothing (ids are remembered in SQLite)', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const dbPath = join(dir, 'cmd.db');
  const first = setUp({ teardown: () => {} }, { dbPath });
  await first.inbox.receive(topic('free-passage'), freePassage(first.clock), false);
  first.db.close();
  const second = setUp(t, { dbPath });
  const again = await second.inbox.receive(topic('free-passage'), freePassage(second.clock), false);
  t.match(again, { ok: false, reason: 'cmd.repeated' });
  t.same(second.calls, []);
});

t.test('a retained command is ignored, so a reconnect never replays one', async (t) => {
  const { clock, inbox, calls } = setUp(t);
  t.match(await inbox.receive(topic('free-passage'), freePassage(clock), true), { ok: false, reason: 'cmd.retained' });
  t.same(calls, []);
});

t.test('a malformed command is rejected and counted', async (t) => {
  const { clock, inbox, calls } = setUp(t);
  t.match(await inbox.receive(topic('free-passage'), Buffer.from('{not json'), false), {
    ok: false,
    reason: 'cmd.not-json',
  });
  t.match(await inbox.receive(topic('free-passage'), freePassage(clock, { lane: 'bad lane!' }), false), {
    ok: false,
    reason: 'cmd.invalid',
  });
  t.match(await inbox.receive(topic('resend'), freePassage(clock), false), { ok: false, reason: 'cmd.invalid' });
  t.equal(inbox.counts['cmd.not-json'], 1);
  t.equal(inbox.counts['cmd.invalid'], 2);
  t.same(calls, []);
});

t.test('a command for another gate or an unknown verb is rejected', async (t) => {
  const { clock, inbox, calls } = setUp(t);
  t.match(await inbox.receive(`gate06/v1/${SITE}/other/cmd/free-passage`, freePassage(clock), false), {
    reason: 'cmd.wrong-topic',
  });
  t.match(await inbox.receive(topic('self-destruct'), freePassage(clock), false), { reason: 'cmd.wrong-topic' });
  t.same(calls, []);
});

t.test('a command expiring more than 24 h ahead is refused (the id table stays bounded)', async (t) => {
  const { clock, inbox } = setUp(t);
  const out = await inbox.receive(
    topic('free-passage'),
    freePassage(clock, { expiresAt: clock.now() + 25 * 3600_000 }),
    false,
  );
  t.match(out, { ok: false, reason: 'cmd.expiry-too-far' });
});

t.test('a handler that throws is reported, not thrown, and not counted against the sender', async (t) => {
  const { clock, inbox, refused } = setUp(t, {
    handlers: {
      'free-passage': () => {
        throw new Error('lane busy');
      },
    },
  });
  t.match(await inbox.receive(topic('free-passage'), freePassage(clock, { id: 'cmd-throws-1' }), false), {
    ok: false,
    reason: 'cmd.handler-failed',
  });
  t.same(refused, []);
});

t.test('a valid command its handler will not carry out (an unknown lane) is refused, not accepted', async (t) => {
  const { clock, inbox, refused } = setUp(t, {
    handlers: {
      'free-passage': (c) => {
        throw new CommandRefused(`no lane ${c.lane} on this gate`);
      },
    },
  });
  t.match(await inbox.receive(topic('free-passage'), freePassage(clock, { id: 'cmd-lane-L9', lane: 'L9' }), false), {
    ok: false,
    reason: 'cmd.refused',
  });
  t.same(refused, ['cmd.refused'], 'counted as refused input');
  t.equal(inbox.counts['cmd.refused'], 1);
  t.equal(inbox.counts.accepted, 0);
});

t.test('arbitrary bytes on a command topic never throw and never run a handler', async (t) => {
  const { inbox, calls } = setUp(t);
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('free-passage', 'resend', 'watchlist'),
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.json().map((j) => Buffer.from(j)),
      ),
      async (verb, body) => {
        const out = await inbox.receive(topic(verb), body, false);
        return out.ok === false;
      },
    ),
    { numRuns: 300 },
  );
  t.same(calls, []);
});

t.test('with a signer configured, a signed command runs and an unsigned or re-targeted one does not', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'ioc-1', alg: 'EdDSA' };
  const { clock, inbox, calls } = setUp(t, { signerJwks: { keys: [jwk] } });
  const sign = (body: Buffer, forTopic: string) =>
    new CompactSign(body).setProtectedHeader({ alg: 'EdDSA', kid: 'ioc-1', topic: forTopic }).sign(privateKey);
  const body = freePassage(clock, { id: 'cmd-signed-1' });
  t.match(await inbox.receive(topic('free-passage'), body, false), { ok: false, reason: 'cmd.unsigned' });
  const otherGate = await sign(body, `gate06/v1/${SITE}/other/cmd/free-passage`);
  t.match(await inbox.receive(topic('free-passage'), Buffer.from(otherGate), false), {
    ok: false,
    reason: 'cmd.bad-signature',
  });
  const good = await sign(body, topic('free-passage'));
  t.match(await inbox.receive(topic('free-passage'), Buffer.from(good), false), { ok: true });
  t.same(calls, [{ verb: 'free-passage', id: 'cmd-signed-1' }]);
});
