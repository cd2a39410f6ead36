// The lane controller with its wall clock stepped (NTP correcting a wrong RTC, an operator setting the time)
// while a grant is open. Grant deadlines and pulse windows run on the monotonic clock; the wall clock only
// stamps what is logged. The devices and the decision service are fakes: the controller's timing is the subject.
import { EventEmitter } from 'node:events';
import t, { type Test } from 'tap';
import type { Turnstile } from '../../../drivers/turnstile/index.js';
import type { AlarmService } from '../../../gateway/alarms.js';
import type { EventBus } from '../../../gateway/events.js';
import type { DecisionService } from '../../../gateway/lane/decision-service.js';
import { LaneController } from '../../../gateway/lane/lane-controller.js';
import type { PassageRecord, TimedOutGrant } from '../../../gateway/lane/lane-ledger.js';
import { createLogger } from '../../../gateway/logger.js';
import type { EventStore } from '../../../gateway/store/event-store.js';
import { demoConfig, sleep } from '../../helpers/harness.js';

const TEN_MINUTES = 10 * 60_000;
const TICK_MS = 5;

class FakeTurnstile extends EventEmitter {
  readonly pulses: string[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async pulseUnlock(direction: string): Promise<void> {
    this.pulses.push(direction);
  }
  async setFreePassage(): Promise<void> {}
}

async function startLane(t: Test) {
  const config = demoConfig().gate.lanes[0]!;
  let wall = Date.parse('2026-03-01T08:00:00Z');
  let mono = 1_000_000;
  const passages: PassageRecord[] = [];
  const timeouts: TimedOutGrant[] = [];
  const alarms: Array<{ kind: string }> = [];
  const turnstile = new FakeTurnstile();
  const lane = new LaneController({
    config,
    decisions: {
      recordPassage: (p: PassageRecord) => {
        passages.push(p);
        return { id: `passage-${passages.length}` };
      },
      recordTimeout: async (g: TimedOutGrant) => {
        timeouts.push(g);
        return 'written';
      },
    } as unknown as DecisionService,
    store: {} as EventStore,
    bus: { emit: () => {} } as unknown as EventBus,
    alarms: { raise: (kind: string) => void alarms.push({ kind }) } as unknown as AlarmService,
    devices: { turnstile: turnstile as unknown as Turnstile, qr: {}, chip: {} },
    logger: createLogger('silent'),
    now: () => wall,
    monotonicNow: () => mono,
    tickMs: TICK_MS,
  });
  await lane.start();
  t.teardown(() => lane.stop());
  return {
    config,
    lane,
    turnstile,
    passages,
    timeouts,
    alarms,
    get wall() {
      return wall;
    },
    stepWall: (ms: number) => {
      wall += ms;
    },
    /** Both clocks move on together, as they do between steps; then the lane's tick timer gets to run. */
    elapse: async (ms: number) => {
      wall += ms;
      mono += ms;
      await sleep(TICK_MS * 6);
    },
  };
}

for (const [label, step] of [
  ['+10 min', TEN_MINUTES],
  ['-10 min', -TEN_MINUTES],
] as const) {
  t.test(
    `wall clock stepped ${label} while a grant is open: it times out after passageTimeoutMs, not before or after`,
    async (t) => {
      const g = await startLane(t);
      const timeoutMs = g.config.passageTimeoutMs;
      g.lane.grant('in', 'd1', 'ticket', { passageFacts: {}, undo: null });
      t.same(g.turnstile.pulses, ['in']);
      await g.elapse(100);
      g.stepWall(step);
      await g.elapse(timeoutMs - 101);
      t.same(g.timeouts, [], 'the grant is still open 1 ms before its deadline: its use is not given back');
      await g.elapse(1);
      t.same(
        g.timeouts.map((x) => x.decisionId),
        ['d1'],
        'timed out at passageTimeoutMs of monotonic time',
      );
      t.equal(g.timeouts[0]!.ts, g.wall, 'the timeout is stamped with the wall clock');
    },
  );

  t.test(`wall clock stepped ${label} while a grant is open: the holder's passage consumes the grant`, async (t) => {
    const g = await startLane(t);
    g.lane.grant('in', 'd1', 'ticket', { passageFacts: {}, undo: null });
    g.stepWall(step);
    await g.elapse(1000);
    g.turnstile.emit('passage', 'in', true, 0);
    g.turnstile.emit('passage', 'in', false, 0);
    await g.elapse(20_000);
    t.same(g.timeouts, [], 'no timeout: the use stays spent');
    t.same(
      g.passages.map((p) => [p.decisionId, p.facts.via]),
      [['d1', 'ticket']],
    );
    t.equal(g.passages[0]!.ts, g.wall - 20_000, 'the passage is stamped with the stepped wall clock');
    t.same(g.alarms, []);
  });

  t.test(`wall clock stepped ${label}: a passage after the pulse and the tailgate window is forced`, async (t) => {
    const g = await startLane(t);
    g.lane.grant('in', 'd1', 'ticket', { passageFacts: {}, undo: null });
    await g.elapse(500);
    g.turnstile.emit('passage', 'in', true, 0);
    g.turnstile.emit('passage', 'in', false, 0);
    g.stepWall(step);
    // The board's pulse is over and so is the tailgate window (2 s).
    await g.elapse(g.config.turnstile.unlockPulseMs + 2500);
    t.equal(g.lane.snapshot().phase, 'idle', 'the lane is locked, as the board is');
    g.turnstile.emit('passage', 'in', true, 0);
    t.same(
      g.passages.map((p) => [p.decisionId, p.facts.via, p.facts.alarm ?? null]),
      [
        ['d1', 'ticket', null],
        [null, 'forced', 'forced-passage'],
      ],
    );
    t.same(g.alarms, [{ kind: 'forced-passage' }]);
  });

  t.test(`wall clock stepped ${label} with a grant waiting: the lane is locked once its pulse is over`, async (t) => {
    const g = await startLane(t);
    g.lane.grant('in', 'd1', 'ticket', { passageFacts: {}, undo: null });
    g.stepWall(step);
    await g.elapse(100);
    t.equal(g.lane.snapshot().phase, 'unlocked', 'the pulse is running');
    await g.elapse(g.config.turnstile.unlockPulseMs);
    t.equal(g.lane.snapshot().phase, 'granted', 'the pulse is over: locked, the grant still waiting');
  });
}
