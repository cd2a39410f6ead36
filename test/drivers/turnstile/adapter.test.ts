// The Modbus turnstile adapter against the simulator's VirtualTurnstile, over both transports:
// node-serialport's mock binding (runs anywhere) and a socat pty pair (skipped without socat).

import t from 'tap';
import { DeviceError } from '../../../drivers/device.js';
import type { ByteChannel, PortOpener } from '../../../drivers/serial/link.js';
import { ModbusTurnstile, pulseUnits } from '../../../drivers/turnstile/adapter.js';
import { VirtualTurnstile } from '../../../sim/devices/virtual-turnstile.js';
import { MockSerialPair } from '../../../sim/mock-port.js';
import { hasSocat, PtyPair, SOCAT_MISSING } from '../../../sim/pty.js';
import { nextEvent } from '../../helpers/events.js';

const devices = {
  offlineAfterMs: 300,
  reconnectInitialMs: 10,
  reconnectMaxMs: 100,
  qrMaxLength: 64,
  qrInterByteTimeoutMs: 40,
};
const unlockCoil = { in: 0, out: 1 };
const inputs = { passageIn: 0, passageOut: 1, alarm: 2, fireAlarm: 3 };

const next = nextEvent;

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Rig {
  adapter: ModbusTurnstile;
  board: VirtualTurnstile;
  unplug(): Promise<void>;
  replug(): Promise<void>;
}

type Transport = 'mock binding' | 'socat pty';

// Reply timeout far above a loaded CI box's worst pause, so only a deliberately slow board times out.
const REPLY_TIMEOUT_MS = 1000;

async function rig(t: { teardown(fn: () => unknown): void }, transport: Transport): Promise<Rig> {
  let opener: PortOpener | undefined;
  let channel: ByteChannel;
  let path: string;
  let unplug: () => Promise<void>;
  let replug: () => Promise<void>;
  const cleanups: Array<() => unknown> = [];
  if (transport === 'mock binding') {
    const pair = new MockSerialPair('turnstile');
    ({ opener, path } = pair);
    channel = pair.device;
    unplug = async () => pair.unplug();
    replug = async () => pair.replug();
  } else {
    const pair = await PtyPair.open();
    const deviceEnd = await pair.deviceChannel('turnstile');
    channel = deviceEnd;
    path = pair.gatewayPath;
    unplug = () => pair.unplug();
    replug = () => pair.replug();
    cleanups.push(
      () => deviceEnd.stop(),
      () => pair.close(),
    );
  }
  const board = new VirtualTurnstile(channel, { unlockCoil, inputs, passMs: 150 });
  const adapter = new ModbusTurnstile({
    config: { port: { path, baudRate: 9600 }, address: 1, unlockCoil, inputs, unlockPulseMs: 3000, pollIntervalMs: 20 },
    devices,
    replyTimeoutMs: REPLY_TIMEOUT_MS,
    ...(opener ? { opener } : {}),
  });
  t.teardown(async () => {
    await adapter.stop();
    board.close();
    for (const c of cleanups) await c();
  });
  const up = next(adapter, 'link', (s) => s === 'up');
  await adapter.start();
  await up;
  return { adapter, board, unplug, replug };
}

t.test('pulse lengths are sent in 100 ms units, rounded up', async (t) => {
  t.equal(pulseUnits(3000), 30);
  t.equal(pulseUnits(250), 3);
  t.equal(pulseUnits(1), 1);
  t.throws(() => pulseUnits(0), RangeError);
  t.throws(() => pulseUnits(Number.NaN), RangeError);
});

for (const transport of ['mock binding', 'socat pty'] as const) {
  t.test(
    `over the ${transport}`,
    { skip: transport === 'socat pty' && !hasSocat() ? SOCAT_MISSING : false },
    async (t) => {
      t.test(
        'a pulse unlocks only that direction, and the board re-locks it by itself after the requested time',
        async (t) => {
          const { adapter, board } = await rig(t, transport);
          const unlocked = next(board, 'unlock');
          const locked = next(board, 'lock');
          await adapter.pulseUnlock('in', 300);
          t.equal(board.isUnlocked('in'), true);
          t.equal(board.isUnlocked('out'), false);
          const [direction, unlockAt, how] = await unlocked;
          t.same([direction, how], ['in', 'pulse']);
          const [, lockAt] = await locked;
          t.equal(board.isUnlocked('in'), false);
          t.ok(
            lockAt - unlockAt >= 295,
            `relocked ${lockAt - unlockAt} ms after the unlock, not before the pulse ended`,
          );
        },
      );

      t.test('the gate re-locks even when the gateway stops right after the unlock', async (t) => {
        const { adapter, board } = await rig(t, transport);
        await adapter.pulseUnlock('out', 200);
        const locked = next(board, 'lock', (d) => d === 'out');
        await adapter.stop();
        await locked;
        t.equal(board.isUnlocked('out'), false);
      });

      t.test('a person passing gives a rising then a falling passage edge for that direction', async (t) => {
        const { adapter, board } = await rig(t, transport);
        const rising = next(adapter, 'passage', (d, active) => d === 'out' && active);
        const falling = next(adapter, 'passage', (d, active) => d === 'out' && !active);
        void board.pass('out');
        const [, , at] = await rising;
        t.type(at, 'number');
        await falling;
      });

      t.test('fire alarm and turnstile alarm inputs give edges both ways', async (t) => {
        const { adapter, board } = await rig(t, transport);
        let edge = next(adapter, 'fireAlarm', (active) => active);
        board.setFireAlarm(true);
        await edge;
        edge = next(adapter, 'fireAlarm', (active) => !active);
        board.setFireAlarm(false);
        await edge;
        edge = next(adapter, 'alarm', (active) => active);
        board.setAlarm(true);
        await edge;
        t.pass('all four edges arrived');
      });

      t.test('free passage holds both directions open until released', async (t) => {
        const { adapter, board } = await rig(t, transport);
        await adapter.setFreePassage(true);
        t.same([board.isUnlocked('in'), board.isUnlocked('out')], [true, true]);
        await adapter.setFreePassage(false);
        t.same([board.isUnlocked('in'), board.isUnlocked('out')], [false, false]);
      });

      t.test('a reply with a bad CRC is counted in rejectedFrames and the adapter keeps working', async (t) => {
        const { adapter, board } = await rig(t, transport);
        board.corruptNextReplies(1);
        await until(() => adapter.health().rejectedFrames >= 1, 'the corrupted reply to be counted');
        t.match(adapter.health().lastError, /rtu.bad-crc/);
        await adapter.pulseUnlock('in', 100);
        t.equal(board.isUnlocked('in'), true);
        t.equal(adapter.health().state, 'up');
      });

      t.test('an unlock whose first reply is garbled is retried once and succeeds', async (t) => {
        const { adapter, board } = await rig(t, transport);
        board.corruptNextReplies(1, 0x06);
        await adapter.pulseUnlock('out', 100);
        t.equal(board.isUnlocked('out'), true);
      });

      t.test('a board that stops answering goes down after offlineAfterMs and up again when it answers', async (t) => {
        const { adapter, board } = await rig(t, transport);
        const down = next(adapter, 'link', (s) => s === 'down');
        board.goSilent(true);
        const [, reason] = await down;
        t.match(reason, /no reply/);
        const up = next(adapter, 'link', (s) => s === 'up');
        board.goSilent(false);
        await up;
        t.equal(adapter.health().state, 'up');
      });

      t.test('an unlock on a board that answers too slowly fails with a timeout flag', async (t) => {
        const { adapter, board } = await rig(t, transport);
        board.respondSlowly(3 * REPLY_TIMEOUT_MS); // past both attempts' timeouts
        const err = await adapter.pulseUnlock('in', 100).then(
          () => undefined,
          (e: unknown) => e,
        );
        t.ok(err instanceof DeviceError && err.flags.timeout, `DeviceError with flags.timeout: ${String(err)}`);
      });

      t.test(
        'unplug reports the turnstile down; replug brings it up and it works again, with no restart',
        async (t) => {
          const { adapter, board, unplug, replug } = await rig(t, transport);
          const down = next(adapter, 'link', (s) => s === 'down');
          await unplug();
          await down;
          const err = await adapter.pulseUnlock('in', 100).then(
            () => undefined,
            (e: unknown) => e,
          );
          t.ok(err instanceof DeviceError && err.flags.disconnected, 'an unlock while unplugged fails as disconnected');
          const up = next(adapter, 'link', (s) => s === 'up');
          await replug();
          await up;
          t.ok(adapter.health().reconnects >= 1, 'the reconnect is counted');
          await adapter.pulseUnlock('in', 100);
          t.equal(board.isUnlocked('in'), true);
          const rising = next(adapter, 'passage', (d, active) => d === 'in' && active);
          void board.pass('in');
          await rising;
        },
      );
    },
  );
}
