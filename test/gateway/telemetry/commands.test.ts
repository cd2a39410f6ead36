import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { type Logger, pino } from 'pino';
import t from 'tap';
import { ed25519KeysFromJwks } from '../../../contracts/jws.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import {
  type CommandHandlers,
  CommandInbox,
  CommandRefused,
  type CommandSigning,
} from '../../../gateway/telemetry/commands.js';
import { SeenCommandIds } from '../../../gateway/telemetry/seen-command-ids.js';
import { FakeClock, silentLogger, tempDir } from './fixtures/gate.js';

const SITE = 'site-a';
const GATE = 'gate-1';
const topic = (verb: string): string => `gate06/v1/${SITE}/${GATE}/cmd/${verb}`;

// The IOC's key for these tests, and a stranger's key of the same kind.
const ioc = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const IOC_JWKS = { keys: [{ ...ioc.publicKey.export({ format: 'jwk' }), kid: 'ioc-1', alg: 'EdDSA' }] };
const iocKeys = ed25519KeysFromJwks(IOC_JWKS);
if (!iocKeys.ok) throw new Error(iocKeys.detail);
const SIGNED: CommandSigning = { mode: 'signed', keys: () => iocKeys.value };
const LIMITS = { 'free-passage': 20, resend: 4, watchlist: 6 };

/** A compact JWS over raw payload bytes, as the IOC makes it (header: alg, kid, topic). */
function seal(forTopic: string, payload: Buffer, key: KeyObject = ioc.privateKey, kid = 'ioc-1'): Buffer {
  const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid, topic: forTopic })).toString('base64url');
  const p = payload.toString('base64url');
  return Buffer.from(`${h}.${p}.${sign(null, Buffer.from(`${h}.${p}`), key).toString('base64url')}`);
}

function setUp(
  t: { teardown: (fn: () => unknown) => void },
  opts: {
    dbPath?: string;
    signing?: CommandSigning;
    handlers?: Partial<CommandHandlers>;
    logger?: Logger;
    transaction?: <T>(fn: () => T) => T;
    owe?: (what: string, run: () => void) => void;
  } = {},
) {
  const clock = new FakeClock();
  const tmp = opts.dbPath ? null : tempDir();
  const store = new EventStore({ path: opts.dbPath ?? join(tmp!.dir, 'cmd.db') });
  const db = store.db;
  const calls: Array<{ verb: string; id: string }> = [];
  const refused: string[] = [];
  const handlers: CommandHandlers = {
    'free-passage': (c) => void calls.push({ verb: 'free-passage', id: c.id }),
    resend: (c) => void calls.push({ verb: 'resend', id: c.id }),
    watchlist: (c) => void calls.push({ verb: 'watchlist', id: c.id }),
    ...opts.handlers,
  };
  const inbox = new CommandInbox({
    commandIds: store.repos.commandIds,
    site: SITE,
    gate: GATE,
    handlers,
    logger: opts.logger ?? silentLogger,
    now: clock.now,
    mono: clock.mono,
    signing: opts.signing ?? SIGNED,
    rateLimits: LIMITS,
    onRefused: (reason) => void refused.push(reason),
    transaction: opts.transaction,
    owe: opts.owe,
  });
  inbox.init();
  t.teardown(() => {
    store.close();
    tmp?.cleanup();
  });
  /** Delivers `payload` on cmd/{verb}, signed by the IOC for that topic. */
  const send = (verb: string, payload: Buffer, retained = false) =>
    inbox.receive(topic(verb), seal(topic(verb), payload), retained);
  return { clock, inbox, calls, db, store, refused, send };
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
  const { clock, calls, refused, send } = setUp(t);
  const out = await send('free-passage', freePassage(clock), false);
  t.same(out, { ok: true, verb: 'free-passage', id: 'cmd-00000001' });
  t.same(calls, [{ verb: 'free-passage', id: 'cmd-00000001' }]);
  t.same(refused, [], 'nothing counted as refused');
});

t.test('an expired command does nothing and is counted as refused input', async (t) => {
  const { clock, calls, refused, send } = setUp(t);
  const out = await send('free-passage', freePassage(clock, { expiresAt: clock.now() - 1 }), false);
  t.match(out, { ok: false, reason: 'cmd.expired' });
  t.same(calls, []);
  t.same(refused, ['cmd.expired']);
});

t.test('a repeated command does nothing', async (t) => {
  const { clock, calls, send } = setUp(t);
  await send('free-passage', freePassage(clock), false);
  const again = await send('free-passage', freePassage(clock), false);
  t.match(again, { ok: false, reason: 'cmd.repeated' });
  t.equal(calls.length, 1);
});

t.test('a command repeated after a restart does nothing (ids are remembered in SQLite)', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const dbPath = join(dir, 'cmd.db');
  const first = setUp({ teardown: () => {} }, { dbPath });
  await first.send('free-passage', freePassage(first.clock), false);
  first.store.close();
  const second = setUp(t, { dbPath });
  const again = await second.send('free-passage', freePassage(second.clock), false);
  t.match(again, { ok: false, reason: 'cmd.repeated' });
  t.same(second.calls, []);
});

t.test('a retained command is ignored, so a reconnect never replays one', async (t) => {
  const { clock, calls, send } = setUp(t);
  t.match(await send('free-passage', freePassage(clock), true), { ok: false, reason: 'cmd.retained' });
  t.same(calls, []);
});

t.test('a malformed command is rejected and counted', async (t) => {
  const { clock, inbox, calls, send } = setUp(t);
  t.match(await send('free-passage', Buffer.from('{not json'), false), {
    ok: false,
    reason: 'cmd.not-json',
  });
  t.match(await send('free-passage', freePassage(clock, { lane: 'bad lane!' }), false), {
    ok: false,
    reason: 'cmd.invalid',
  });
  t.match(await send('resend', freePassage(clock), false), { ok: false, reason: 'cmd.invalid' });
  t.equal(inbox.counts['cmd.not-json'], 1);
  t.equal(inbox.counts['cmd.invalid'], 2);
  t.same(calls, []);
});

t.test('a command for another gate or an unknown verb is rejected', async (t) => {
  const { clock, inbox, calls, send } = setUp(t);
  const otherGate = `gate06/v1/${SITE}/other/cmd/free-passage`;
  t.match(await inbox.receive(otherGate, seal(otherGate, freePassage(clock)), false), { reason: 'cmd.wrong-topic' });
  t.match(await send('self-destruct', freePassage(clock), false), { reason: 'cmd.wrong-topic' });
  t.same(calls, []);
});

t.test('a command expiring more than 24 h ahead is refused (the id table stays bounded)', async (t) => {
  const { clock, send } = setUp(t);
  const out = await send('free-passage', freePassage(clock, { expiresAt: clock.now() + 25 * 3600_000 }), false);
  t.match(out, { ok: false, reason: 'cmd.expiry-too-far' });
});

t.test('a handler that throws is reported, not thrown, and not counted against the sender', async (t) => {
  const { clock, refused, send } = setUp(t, {
    handlers: {
      'free-passage': () => {
        throw new Error('lane busy');
      },
    },
  });
  t.match(await send('free-passage', freePassage(clock, { id: 'cmd-throws-1' }), false), {
    ok: false,
    reason: 'cmd.handler-failed',
  });
  t.same(refused, []);
});

t.test('a valid command its handler will not carry out (an unknown lane) is refused, not accepted', async (t) => {
  const { clock, inbox, refused, send } = setUp(t, {
    handlers: {
      'free-passage': (c) => {
        throw new CommandRefused(`no lane ${c.lane} on this gate`);
      },
    },
  });
  t.match(await send('free-passage', freePassage(clock, { id: 'cmd-lane-L9', lane: 'L9' }), false), {
    ok: false,
    reason: 'cmd.refused',
  });
  t.same(refused, ['cmd.refused'], 'counted as refused input');
  t.equal(inbox.counts['cmd.refused'], 1);
  t.equal(inbox.counts.accepted, 0);
});

t.test('arbitrary bytes on a command topic never throw and never run a handler, signed or not', async (t) => {
  const { inbox, calls } = setUp(t);
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('free-passage', 'resend', 'watchlist'),
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.json().map((j) => Buffer.from(j)),
      ),
      fc.boolean(),
      async (verb, body, signed) => {
        const out = await inbox.receive(topic(verb), signed ? seal(topic(verb), body) : body, false);
        return out.ok === false;
      },
    ),
    { numRuns: 300 },
  );
  t.same(calls, []);
});

t.test('an unsigned command is refused on every verb, resend and watchlist included', async (t) => {
  const { clock, inbox, calls, refused } = setUp(t);
  const plain = {
    'free-passage': freePassage(clock, { id: 'cmd-plain-fp' }),
    resend: Buffer.from(JSON.stringify({ id: 'cmd-plain-rs', expiresAt: clock.now() + 60_000, since: 0 })),
    watchlist: Buffer.from(JSON.stringify({ id: 'cmd-plain-wl', expiresAt: clock.now() + 60_000, jws: 'a.b.c' })),
  };
  for (const [verb, body] of Object.entries(plain))
    t.match(await inbox.receive(topic(verb), body, false), { ok: false, reason: 'cmd.unsigned', verb });
  t.same(calls, []);
  t.same(refused, ['cmd.unsigned', 'cmd.unsigned', 'cmd.unsigned']);
});

t.test('a command signed by another key, or for another gate or verb, is refused as cmd.bad-signature', async (t) => {
  const { clock, inbox, calls } = setUp(t);
  const body = freePassage(clock, { id: 'cmd-signed-1' });
  const fp = topic('free-passage');
  for (const [what, sealed] of [
    ['a stranger key under the IOC kid', seal(fp, body, stranger.privateKey)],
    ['another gate', seal(`gate06/v1/${SITE}/other/cmd/free-passage`, body)],
    ['another verb', seal(topic('resend'), body)],
    ['an unknown kid', seal(fp, body, stranger.privateKey, 'stranger-1')],
  ] as const) {
    t.match(await inbox.receive(fp, sealed, false), { ok: false, reason: 'cmd.bad-signature' }, what);
  }
  t.same(calls, []);
  t.match(await inbox.receive(fp, seal(fp, body), false), { ok: true }, 'the same command, rightly signed, runs');
  t.same(calls, [{ verb: 'free-passage', id: 'cmd-signed-1' }]);
});

t.test('with no signer configured every command is refused as cmd.no-signer, signed or not', async (t) => {
  const { clock, inbox, calls, refused, send } = setUp(t, { signing: { mode: 'disabled' } });
  t.match(await send('free-passage', freePassage(clock, { id: 'cmd-nosigner-1' })), {
    ok: false,
    reason: 'cmd.no-signer',
  });
  t.match(await inbox.receive(topic('free-passage'), freePassage(clock, { id: 'cmd-nosigner-2' }), false), {
    ok: false,
    reason: 'cmd.no-signer',
  });
  t.same(calls, []);
  t.same(refused, ['cmd.no-signer', 'cmd.no-signer']);
  t.equal(inbox.signingMode, 'disabled');
});

t.test('with insecureUnsignedCommands an unsigned command runs', async (t) => {
  const { clock, inbox, calls } = setUp(t, { signing: { mode: 'insecure-unsigned' } });
  t.match(await inbox.receive(topic('free-passage'), freePassage(clock, { id: 'cmd-insecure-1' }), false), {
    ok: true,
  });
  t.same(calls, [{ verb: 'free-passage', id: 'cmd-insecure-1' }]);
});

const fpCommand = (clock: FakeClock, n: number) =>
  freePassage(clock, { id: `cmd-flood-${String(n).padStart(6, '0')}` });

t.test('signed free-passage commands beyond 20 a minute are refused as cmd.rate-limited', async (t) => {
  const { clock, inbox, calls, refused, send } = setUp(t);
  for (let i = 0; i < 20; i++) t.match(await send('free-passage', fpCommand(clock, i)), { ok: true });
  t.match(await send('free-passage', fpCommand(clock, 20)), { ok: false, reason: 'cmd.rate-limited' });
  t.match(await send('free-passage', fpCommand(clock, 21)), { ok: false, reason: 'cmd.rate-limited' });
  t.equal(calls.length, 20);
  t.equal(inbox.counts['cmd.rate-limited'], 2);
  t.same(refused, ['cmd.rate-limited', 'cmd.rate-limited'], 'counted as refused input like the other reasons');
  clock.advance(3_000); // 20 a minute refill one every 3 s
  t.match(await send('free-passage', fpCommand(clock, 20)), { ok: true }, 'a rate-limited id may be sent again');
  t.match(await send('free-passage', fpCommand(clock, 22)), { ok: false, reason: 'cmd.rate-limited' });
});

t.test('each verb has its own budget', async (t) => {
  const { clock, send } = setUp(t);
  const resend = (n: number) =>
    Buffer.from(JSON.stringify({ id: `cmd-resend-${n}-xx`, expiresAt: clock.now() + 60_000, since: 0 }));
  for (let i = 0; i < 4; i++) t.match(await send('resend', resend(i)), { ok: true });
  t.match(await send('resend', resend(4)), { ok: false, reason: 'cmd.rate-limited' });
  t.match(await send('free-passage', fpCommand(clock, 0)), { ok: true }, 'free passage still has its budget');
});

t.test('an unsigned or forged flood, or one signed command replayed, does not use up the IOC budget', async (t) => {
  const { clock, inbox, calls, send } = setUp(t);
  const fp = topic('free-passage');
  for (let i = 0; i < 200; i++) {
    await inbox.receive(fp, fpCommand(clock, 1000 + i), false);
    await inbox.receive(fp, seal(fp, fpCommand(clock, 2000 + i), stranger.privateKey), false);
  }
  t.match(await send('free-passage', fpCommand(clock, 0)), { ok: true });
  for (let i = 0; i < 200; i++) await send('free-passage', fpCommand(clock, 0));
  t.equal(inbox.counts['cmd.unsigned'], 200);
  t.equal(inbox.counts['cmd.bad-signature'], 200);
  t.equal(inbox.counts['cmd.repeated'], 200);
  t.equal(inbox.counts['cmd.rate-limited'], 0);
  for (let i = 1; i < 20; i++) t.match(await send('free-passage', fpCommand(clock, i)), { ok: true });
  t.equal(calls.length, 20, 'the IOC still had its whole budget of 20');
});

t.test('a command seen before is cmd.repeated even after the id table was lost with its file', async (t) => {
  const { clock, db, inbox, calls, send } = setUp(t);
  t.match(await send('free-passage', freePassage(clock)), { ok: true });
  // What a deleted database leaves: a new file whose table (made by the migrations) knows nothing.
  db.exec('DELETE FROM tel_cmd_seen');
  inbox.init();
  t.match(await send('free-passage', freePassage(clock)), { ok: false, reason: 'cmd.repeated' });
  t.equal(calls.length, 1, 'the captured command did not run again');
  t.same(
    db.prepare('SELECT id FROM tel_cmd_seen').all(),
    [{ id: 'cmd-00000001' }],
    'the re-created table is seeded again from memory, so a restart after the re-open remembers it too',
  );
});

t.test('the remembered ids stay bounded: at the cap the one nearest its expiry is forgotten first', async (t) => {
  const seen = new SeenCommandIds(3);
  seen.add('a', 5_000, 0);
  seen.add('b', 1_000, 0);
  seen.add('c', 9_000, 0);
  seen.add('d', 7_000, 0);
  t.equal(seen.size, 3);
  t.notOk(seen.has('b', 0), 'b expired soonest and made room');
  for (const id of ['a', 'c', 'd']) t.ok(seen.has(id, 0), id);
  seen.add('e', 8_000, 6_000);
  t.notOk(seen.has('a', 6_000), 'an expired id goes before any current one');
  t.same(
    seen
      .current(6_000)
      .map(([id]) => id)
      .sort(),
    ['c', 'd', 'e'],
  );
});

/** A store that cannot be written: what better-sqlite3 throws under another process's exclusive lock. */
const lockedStore = <T>(): T => {
  throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
};

t.test('a command whose id cannot be recorded is refused as cmd.store-unavailable and may be sent again', async (t) => {
  let locked = true;
  const owed: string[] = [];
  const { clock, calls, refused, inbox, send } = setUp(t, {
    transaction: (fn) => (locked ? lockedStore() : fn()),
    owe: (what) => void owed.push(what),
  });
  t.same(await send('free-passage', freePassage(clock)), {
    ok: false,
    reason: 'cmd.store-unavailable',
    verb: 'free-passage',
    id: 'cmd-00000001',
  });
  t.match(
    await send(
      'resend',
      Buffer.from(JSON.stringify({ id: 'cmd-resend-1', expiresAt: clock.now() + 60_000, since: 0 })),
    ),
    {
      ok: false,
      reason: 'cmd.store-unavailable',
    },
  );
  t.same(calls, [], 'nothing ran unrecorded');
  t.same(owed, [], 'nothing owed for a refused command');
  t.equal(inbox.counts['cmd.store-unavailable'], 2);
  t.same(refused, ['cmd.store-unavailable', 'cmd.store-unavailable']);
  locked = false;
  t.match(await send('free-passage', freePassage(clock)), { ok: true }, 'its id was not remembered');
  t.same(calls, [{ verb: 'free-passage', id: 'cmd-00000001' }]);
});

t.test('free passage OFF runs while the store is unavailable, its id record owed and remembered', async (t) => {
  let locked = true;
  const owed: Array<{ what: string; run: () => void }> = [];
  const { clock, calls, db, send } = setUp(t, {
    transaction: (fn) => (locked ? lockedStore() : fn()),
    owe: (what, run) => void owed.push({ what, run }),
  });
  const off = freePassage(clock, { id: 'cmd-off-0001', on: false });
  t.match(await send('free-passage', off), { ok: true, id: 'cmd-off-0001' });
  t.same(calls, [{ verb: 'free-passage', id: 'cmd-off-0001' }]);
  t.same(
    owed.map((o) => o.what),
    ['command-id'],
  );
  t.match(await send('free-passage', off), { ok: false, reason: 'cmd.repeated' }, 'remembered in memory meanwhile');
  locked = false;
  for (const o of owed) o.run();
  t.same(db.prepare('SELECT id FROM tel_cmd_seen').all(), [{ id: 'cmd-off-0001' }], 'the owed record is written');
});

t.test('without a way to owe the record, free passage OFF is refused like any other command', async (t) => {
  const { clock, calls, send } = setUp(t, { transaction: lockedStore });
  t.match(await send('free-passage', freePassage(clock, { on: false })), {
    ok: false,
    reason: 'cmd.store-unavailable',
  });
  t.same(calls, []);
});

/** A logger that keeps its lines, to count what a flood writes. */
function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

t.test('a flood of forged commands writes one log line per reason per minute; the counts stay exact', async (t) => {
  const { logger, lines } = recordingLogger();
  const { clock, inbox, refused } = setUp(t, { logger });
  const fp = topic('free-passage');
  const ignored = () => lines.filter((l) => l.msg === 'command ignored');
  for (let i = 0; i < 500; i++) {
    await inbox.receive(fp, seal(fp, fpCommand(clock, i), stranger.privateKey), false);
    await inbox.receive(fp, fpCommand(clock, i), false);
  }
  t.equal(inbox.counts['cmd.bad-signature'], 500);
  t.equal(inbox.counts['cmd.unsigned'], 500);
  t.equal(refused.length, 1000, 'every refusal still reaches the metric');
  t.same(
    ignored().map((l) => l.outcome),
    ['cmd.bad-signature', 'cmd.unsigned'],
    'the first of each reason is logged, the rest are not',
  );
  clock.advance(59_000);
  await inbox.receive(fp, fpCommand(clock, 9999), false);
  t.equal(ignored().length, 2, 'still inside the minute');
  clock.advance(1_000);
  await inbox.receive(fp, fpCommand(clock, 9998), false);
  t.match(ignored().at(-1), { outcome: 'cmd.unsigned', notLoggedSinceLast: 500 });
  t.equal(inbox.counts['cmd.unsigned'], 502);
});

t.test(
  'the signer keys are asked for each command: a key the IOC rolls out works at once, one withdrawn stops',
  async (t) => {
    const rolledOut = ed25519KeysFromJwks({
      keys: [{ ...stranger.publicKey.export({ format: 'jwk' }), kid: 'ioc-2', alg: 'EdDSA' }],
    });
    if (!rolledOut.ok) throw new Error(rolledOut.detail);
    let trusted = iocKeys.value;
    const { clock, inbox, calls } = setUp(t, { signing: { mode: 'signed', keys: () => trusted } });
    const fp = topic('free-passage');
    const byNewKey = (id: string) =>
      inbox.receive(fp, seal(fp, freePassage(clock, { id }), stranger.privateKey, 'ioc-2'), false);
    t.match(await byNewKey('cmd-00000010'), { ok: false, reason: 'cmd.bad-signature' }, 'before the rollout');
    trusted = rolledOut.value;
    t.match(await byNewKey('cmd-00000011'), { ok: true });
    const byOldKey = await inbox.receive(fp, seal(fp, freePassage(clock, { id: 'cmd-00000012' })), false);
    t.match(byOldKey, { ok: false, reason: 'cmd.bad-signature' }, 'the withdrawn key is refused');
    t.same(
      calls.map((c) => c.id),
      ['cmd-00000011'],
    );
  },
);
