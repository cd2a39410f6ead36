import { EventEmitter } from 'node:events';
import t, { type Test } from 'tap';
import type { CardChannel } from '../../../drivers/chip-pcsc/card-channel.js';
import type { ChipSessionOptions, ChipSessionOutcome } from '../../../drivers/chip-pcsc/icao/index.js';
import type { PcscReaderEvents, PresentedCard } from '../../../drivers/chip-pcsc/pcsc/index.js';
import type { CccdQr } from '../../../gateway/credentials/cccd-qr.js';
import type { ChipPromptStep } from '../../../gateway/events.js';
import { PcscChipFlow, type PcscChipFlowDeps } from '../../../gateway/lane/pcsc-chip-flow.js';
import { createLogger } from '../../../gateway/logger.js';
import type { ReasonCode } from '../../../gateway/reasons.js';
import { NGUYEN_VAN_A } from '../../../sim/cards/people.js';
import { cccdQrText } from '../../../sim/people/population.js';

const QR = cccdQrText(NGUYEN_VAN_A); // SYNTHETIC person of the shared vectors
const metrics = { apdus: 12, bytesSent: 0, bytesReceived: 0, stepMs: {} };
const channel: CardChannel = { extendedLength: true, transmit: async () => Uint8Array.of(0x90, 0x00) };
const card: PresentedCard = { readerName: 'Virtual PCD 00 00', atr: Uint8Array.of(0x3b), channel };

const genuine: ChipSessionOutcome = {
  ok: true,
  value: {
    access: 'pace',
    chipAuthentication: 'passed',
    activeAuthentication: 'skipped',
    cardAccessSource: 'card',
    sod: Uint8Array.of(0x77),
    dataGroups: new Map([[1, Uint8Array.of(0x61)]]),
    metrics,
  },
};

class FakeReader extends EventEmitter<PcscReaderEvents> {
  card: PresentedCard | undefined;
  start = async (): Promise<void> => {};
  stop = async (): Promise<void> => {};
  health = () => ({
    kind: 'chip-pcsc' as const,
    reader: 'x',
    state: 'up' as const,
    lastSeenAt: 0,
    restarts: 0,
    rejectedMessages: 0,
  });
  put(c: PresentedCard): void {
    this.card = c;
    this.emit('cardInserted', c);
  }
}

interface Harness {
  flow: PcscChipFlow;
  reader: FakeReader;
  prompts: ChipPromptStep[];
  reads: ChipSessionOptions[];
  denied: Promise<{ reason: ReasonCode; facts: Record<string, unknown> }>;
  decided: Promise<{ qrText: string; qr: CccdQr; facts: Record<string, unknown>; sod: Buffer }>;
}

function harness(t: Test, outcome: ChipSessionOutcome, over: Partial<PcscChipFlowDeps> = {}): Harness {
  const reader = new FakeReader();
  const prompts: ChipPromptStep[] = [];
  const reads: ChipSessionOptions[] = [];
  let deny!: (v: { reason: ReasonCode; facts: Record<string, unknown> }) => void;
  let decide!: (v: { qrText: string; qr: CccdQr; facts: Record<string, unknown>; sod: Buffer }) => void;
  const denied = new Promise<{ reason: ReasonCode; facts: Record<string, unknown> }>((r) => (deny = r));
  const decided = new Promise<{ qrText: string; qr: CccdQr; facts: Record<string, unknown>; sod: Buffer }>(
    (r) => (decide = r),
  );
  const flow = new PcscChipFlow({
    direction: 'in',
    reader,
    timeoutMs: 60_000,
    cloneNotExcluded: 'deny',
    checksChipFace: false,
    readChip: async (_channel, options) => {
      reads.push(options);
      return outcome;
    },
    decide: async (read) => decide(read),
    deny: async (reason, facts) => deny({ reason, facts }),
    prompt: (step) => prompts.push(step),
    logger: createLogger('silent'),
    ...over,
  });
  flow.start();
  t.teardown(() => flow.stop());
  return { flow, reader, prompts, reads, denied, decided };
}

t.test('a QR scan asks for the card; the card is read with the CAN from the QR and goes to the decision', async (t) => {
  const h = harness(t, genuine);
  h.flow.expectCard(QR, 1);
  t.same(h.prompts, ['hold-card']);
  h.reader.put(card);
  const read = await h.decided;
  t.same(h.reads, [{ can: NGUYEN_VAN_A.id.slice(-6) }], 'the CAN is the last 6 digits of the ID number');
  t.equal(read.qrText, QR);
  // Parsed once, for the CAN: the decision gets that parse and does not parse the text again.
  t.match(read.qr, { identity: { idNumber: NGUYEN_VAN_A.id, verified: false } });
  t.same(read.sod, Buffer.of(0x77));
  t.match(read.facts, { chipAccess: 'pace', chipAuthentication: 'passed', cloneExcluded: true });
  t.same(h.prompts, ['hold-card', 'reading', 'done']);
});

t.test('a card already on the reader when the QR is scanned is read at once', async (t) => {
  const h = harness(t, genuine);
  h.reader.card = card;
  h.flow.expectCard(QR, 1);
  await h.decided;
  t.equal(h.reads.length, 1);
});

t.test(
  'a card the reader still listed at the QR scan but already gone is no failed read: the wait goes on',
  async (t) => {
    const outcomes: ChipSessionOutcome[] = [{ ok: false, reason: 'chip.removed', detail: 'gone', metrics }, genuine];
    let denied = false;
    const h = harness(t, genuine, {
      readChip: async () => outcomes.shift()!,
      deny: async () => {
        denied = true;
      },
    });
    h.reader.card = card;
    h.flow.expectCard(QR, 1);
    await new Promise((r) => setImmediate(r));
    h.reader.put(card);
    await h.decided;
    t.notOk(denied, 'no chip.read-failed for a card nobody presented');
    t.same(h.prompts, ['hold-card', 'reading', 'hold-card', 'reading', 'done']);
  },
);

t.test('a card put down with no QR scanned is not read: the person is asked to scan first', async (t) => {
  const h = harness(t, genuine);
  h.reader.put(card);
  t.same(h.prompts, ['scan-qr-first']);
  t.same(h.reads, []);
});

t.test('no card within the timeout: denied with chip.timeout, and a late card is not read', async (t) => {
  const h = harness(t, genuine, { timeoutMs: 20 });
  h.flow.expectCard(QR, 1);
  t.match(await h.denied, { reason: 'chip.timeout', facts: { timeoutMs: 20 } });
  h.reader.put(card);
  t.same(h.reads, []);
  t.equal(h.prompts.at(-1), 'scan-qr-first');
});

t.test('a card taken away during the session is a failed read (chip.read-failed)', async (t) => {
  const h = harness(t, { ok: false, reason: 'chip.removed', detail: 'card removed', metrics });
  h.flow.expectCard(QR, 1);
  h.reader.put(card);
  t.match(await h.denied, { reason: 'chip.read-failed', facts: { chipSession: 'chip.removed' } });
});

t.test('the session reasons keep their names: a wrong CAN is chip.access-denied', async (t) => {
  const h = harness(t, { ok: false, reason: 'chip.access-denied', detail: 'PACE', metrics });
  h.flow.expectCard(QR, 1);
  h.reader.put(card);
  t.match(await h.denied, { reason: 'chip.access-denied' });
});

t.test('a chip with neither CA nor AA is denied under policy deny, before any decision', async (t) => {
  const neither: ChipSessionOutcome = {
    ok: true,
    value: {
      ...(genuine.ok ? genuine.value : ({} as never)),
      chipAuthentication: 'not-supported',
      activeAuthentication: 'not-supported',
    },
  };
  let decided = false;
  const h = harness(t, neither, { decide: async () => (decided = true) });
  h.flow.expectCard(QR, 1);
  h.reader.put(card);
  t.match(await h.denied, { reason: 'chip.clone-not-excluded', facts: { chipAuthentication: 'not-supported' } });
  t.notOk(decided);
});

t.test('a QR that does not parse is denied at once with its own reason: no wait for a card', async (t) => {
  const h = harness(t, genuine);
  h.flow.expectCard(QR.replace('|Nam|', '|X|'), 1);
  t.match(await h.denied, { reason: 'qr.bad-sex' });
  t.same(h.prompts, []);
});

t.test('a wall clock stepped +10 min during the read of a card already gone does not end the wait', async (t) => {
  let wallStep = 0;
  const outcomes: ChipSessionOutcome[] = [{ ok: false, reason: 'chip.removed', detail: 'gone', metrics }, genuine];
  let denied = false;
  const h = harness(t, genuine, {
    now: () => Date.now() + wallStep,
    monotonicNow: () => 1_000_000,
    readChip: async () => {
      wallStep = 10 * 60_000;
      return outcomes.shift()!;
    },
    deny: async () => {
      denied = true;
    },
  });
  h.reader.card = card;
  h.flow.expectCard(QR, 1);
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(denied, "no chip.timeout: the 60 s wait for this person's card goes on");
  h.reader.put(card);
  await h.decided;
});
