// The readers of a lane, with fake devices and a fake decision service: each read becomes one presentation,
// a bound ticket and the holder's card are decided together, a CCCD QR on a PC/SC side starts the chip
// read, failed reads are denials (one per side per 2 s), and a held credential is decided alone in the end.
import { EventEmitter } from 'node:events';
import t, { type Test } from 'tap';
import type { PcscReaderEvents } from '../../../drivers/chip-pcsc/pcsc/index.js';
import type { ChipReaderEvents } from '../../../drivers/chip-reader/index.js';
import type { QrScannerEvents } from '../../../drivers/qr-scanner/index.js';
import type { LaneConfig } from '../../../gateway/config/schema.js';
import { EventBus, type GatewayEvents } from '../../../gateway/events.js';
import type { DecisionOutcome, DecisionRequest } from '../../../gateway/lane/decision-service.js';
import {
  LaneReaders,
  type LaneReadersDeps,
  PRESENTATION_BURST,
  PRESENTATION_REFILL_MS,
} from '../../../gateway/lane/lane-readers.js';
import { createLogger } from '../../../gateway/logger.js';
import { NGUYEN_VAN_A } from '../../../sim/cards/people.js';
import { cccdQrText } from '../../../sim/people/population.js';
import { demoConfig } from '../../helpers/harness.js';

class FakeDevice<E extends Record<keyof E, unknown[]>> extends EventEmitter<E> {
  card: undefined;
  start = async (): Promise<void> => {};
  stop = async (): Promise<void> => {};
  health = () => ({ kind: 'qr-scanner' as const, state: 'up' as const }) as never;
}

const QR = cccdQrText(NGUYEN_VAN_A); // SYNTHETIC
const outcome: DecisionOutcome = {
  event: null,
  decision: 'deny',
  reason: 'store.unavailable',
  passageFacts: {},
  undo: null,
};

interface Harness {
  readers: LaneReaders;
  qr: FakeDevice<QrScannerEvents>;
  chip: FakeDevice<ChipReaderEvents>;
  decided: Array<Omit<DecisionRequest, 'lane'>>;
  failures: Array<{ reason: string; facts: Record<string, unknown> }>;
  namesHolderAsked: string[];
  prompts: Array<GatewayEvents['chip.prompt']>;
  /** `wall` stamps prompts; `mono` times the pairing window and the read-failure throttle. */
  clock: { wall: number; mono: number };
  bus: EventBus;
}

async function harness(t: Test, lane: LaneConfig, over: Partial<LaneReadersDeps> = {}): Promise<Harness> {
  const qr = new FakeDevice<QrScannerEvents>();
  const chip = new FakeDevice<ChipReaderEvents>();
  const pcsc = new FakeDevice<PcscReaderEvents>();
  const bus = new EventBus();
  const prompts: Harness['prompts'] = [];
  bus.on(t, 'chip.prompt', (p) => prompts.push(p));
  const decided: Harness['decided'] = [];
  const failures: Harness['failures'] = [];
  const namesHolderAsked: string[] = [];
  const clock = { wall: Date.now(), mono: 5_000_000 };
  const usesPcsc = lane.entry?.chipReader && 'pcsc' in lane.entry.chipReader;
  const readers = new LaneReaders({
    config: lane,
    devices: usesPcsc
      ? { qr: { in: qr as never }, chip: {}, pcsc: { in: pcsc as never } }
      : { qr: { in: qr as never }, chip: { in: chip as never } },
    decisions: {
      ticketNamesHolder: async (token) => {
        namesHolderAsked.push(token);
        return token.startsWith('bound.');
      },
      recordFailure: async (_req, reason, facts) => {
        failures.push({ reason, facts });
        return outcome;
      },
    },
    decide: async (req) => {
      decided.push(req);
      return outcome;
    },
    onLink: () => {},
    bus,
    logger: createLogger('silent'),
    now: () => clock.wall,
    monotonicNow: () => clock.mono,
    ...over,
  });
  await readers.start();
  t.teardown(() => readers.stop());
  return { readers, qr, chip, decided, failures, namesHolderAsked, prompts, clock, bus };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const [L1, L2] = demoConfig().gate.lanes as [LaneConfig, LaneConfig];
const chipRead = { sod: Buffer.of(0x77), dataGroups: new Map([[1, Buffer.of(0x61)]]) };

t.test('an unbound ticket scanned is decided at once, alone, and asked about its holder once', async (t) => {
  const h = await harness(t, L1);
  h.qr.emit('scan', 'plain.p.s', 0);
  await settle();
  t.match(h.decided, [{ direction: 'in', credential: { kind: 'ticket', token: 'plain.p.s' }, source: 'reader' }]);
  t.notOk(h.decided[0]!.supporting);
  t.same(h.namesHolderAsked, ['plain.p.s']);
});

t.test("a bound ticket waits for the holder's card; the card read is decided with it", async (t) => {
  const h = await harness(t, L2);
  h.qr.emit('scan', 'bound.p.s', 0);
  await settle();
  t.same(h.decided, [], 'held, not decided');
  h.chip.emit('card', chipRead, 0);
  await settle();
  t.equal(h.decided.length, 1);
  t.match(h.decided[0], {
    credential: { kind: 'ticket', token: 'bound.p.s' },
    supporting: [{ kind: 'chip', sod: Buffer.of(0x77) }],
  });
});

t.test('a held ticket whose card never comes is decided alone once the window has passed', async (t) => {
  const h = await harness(t, L2, { pairingWindowMs: 5000 });
  h.qr.emit('scan', 'bound.p.s', 0);
  await settle();
  h.readers.tick();
  t.same(h.decided, []);
  h.clock.mono += 5000;
  h.readers.tick();
  await settle();
  t.match(h.decided, [{ credential: { kind: 'ticket', token: 'bound.p.s' } }]);
  t.notOk(h.decided[0]!.supporting);
});

t.test('a CCCD QR on a side that takes it is decided as itself', async (t) => {
  const h = await harness(t, L1);
  h.qr.emit('scan', QR, 0);
  await settle();
  t.match(h.decided, [{ credential: { kind: 'cccd-qr', text: QR } }]);
  t.same(h.namesHolderAsked, [], 'only tickets are asked about a holder');
});

t.test('a CCCD QR on a side with a PC/SC chip reader starts the chip read: no decision yet', async (t) => {
  const lane: LaneConfig = {
    ...L2,
    entry: { ...L2.entry!, chipReader: { pcsc: { reader: 'Virtual PCD*', extendedLength: 'auto' } } },
  };
  const h = await harness(t, lane, {
    readChip: async () => ({
      ok: false,
      reason: 'chip.removed',
      detail: '',
      metrics: { apdus: 0, bytesSent: 0, bytesReceived: 0, stepMs: {} },
    }),
  });
  h.qr.emit('scan', QR, 0);
  await settle();
  t.same(h.decided, []);
  t.same(h.failures, []);
  t.match(h.prompts, [{ lane: 'L2', direction: 'in', step: 'hold-card' }]);
});

t.test('failed chip reads are denials, one per side every 2 s', async (t) => {
  const h = await harness(t, L2);
  h.chip.emit('readError', 'frame.corrupt', 'bad CRC');
  h.chip.emit('readError', 'frame.corrupt', 'bad CRC');
  await settle();
  t.same(h.failures, [{ reason: 'chip.read-failed', facts: { readError: 'frame.corrupt' } }]);
  h.clock.mono += 2000;
  h.chip.emit('readError', 'card-removed', 'gone');
  await settle();
  t.equal(h.failures.length, 2);
});

t.test(
  'a burst of scans past the budget is dropped before any decision, counted, and logged once with its count',
  async (t) => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('silent');
    logger.warn = ((o: Record<string, unknown>, msg: string) => void lines.push({ ...o, msg })) as never;
    const rejected: Array<GatewayEvents['input.rejected']> = [];
    const h = await harness(t, L1, { logger });
    h.bus.on(t, 'input.rejected', (r) => rejected.push(r));
    // One printed code holding 1,476 terminators: 1,476 scans at once.
    for (let i = 0; i < 1476; i++) h.qr.emit('scan', `x${i}`, 0);
    await settle();
    t.equal(h.decided.length, PRESENTATION_BURST, 'only the burst allowance reaches the decision service');
    t.equal(rejected.length, 1476 - PRESENTATION_BURST, 'each dropped one is counted');
    t.ok(rejected.every((r) => r.source === 'qr-scanner' && r.reason === 'rate-limited'));
    const dropped = lines.filter((l) => /faster than a person/.test(String(l.msg)));
    t.equal(dropped.length, 1, 'one log line for the whole burst');
    // A person presenting again a moment later is served: the budget refills with (monotonic) time.
    h.clock.mono += PRESENTATION_REFILL_MS / PRESENTATION_BURST;
    h.qr.emit('scan', 'plain.p.s', 0);
    await settle();
    t.match(h.decided.at(-1), { credential: { kind: 'ticket', token: 'plain.p.s' } });
  },
);

for (const step of [10 * 60_000, -10 * 60_000]) {
  t.test(
    `a wall clock stepped ${step > 0 ? '+' : '-'}10 min neither ends nor stretches the pairing window`,
    async (t) => {
      const h = await harness(t, L2, { pairingWindowMs: 5000 });
      h.qr.emit('scan', 'bound.p.s', 0);
      await settle();
      h.clock.wall += step;
      h.clock.mono += 4999;
      h.readers.tick();
      await settle();
      t.same(h.decided, [], "still waiting for the holder's card");
      h.clock.mono += 1;
      h.readers.tick();
      await settle();
      t.match(
        h.decided,
        [{ credential: { kind: 'ticket', token: 'bound.p.s' } }],
        'decided alone once 5 s have passed',
      );
    },
  );

  t.test(`a wall clock stepped ${step > 0 ? '+' : '-'}10 min does not bend the read-failure throttle`, async (t) => {
    const h = await harness(t, L2);
    h.chip.emit('readError', 'frame.corrupt', 'bad CRC');
    h.clock.wall += step;
    h.clock.mono += 1999;
    h.chip.emit('readError', 'frame.corrupt', 'bad CRC');
    await settle();
    t.equal(h.failures.length, 1, 'one denial per 2 s');
    h.clock.mono += 1;
    h.chip.emit('readError', 'frame.corrupt', 'bad CRC');
    await settle();
    t.equal(h.failures.length, 2, 'the next one 2 s later');
  });
}
