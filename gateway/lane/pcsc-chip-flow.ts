// One side of a lane with a PC/SC chip reader (issue #13): the CCCD QR scan supplies the CAN, the person is
// asked to hold the card on the reader, the gateway reads the chip itself (PACE-CAN, chip or active
// authentication, the files) within chipReadTimeoutMs, and what it read goes to the decision service with the
// QR as the supporting credential, where passive authentication and the QR cross-check run.
import type { Logger } from 'pino';
import type { CardChannel } from '../../drivers/chip-pcsc/card-channel.js';
import type { ChipSessionOptions, ChipSessionOutcome, ChipSessionReason } from '../../drivers/chip-pcsc/icao/index.js';
import type { PcscChipReader, PresentedCard } from '../../drivers/chip-pcsc/pcsc/index.js';
import type { Direction, PolicyConfig } from '../config/schema.js';
import { type CccdQr, parseCccdQr } from '../credentials/cccd-qr.js';
import { canFromCccdId, cloneExclusion } from '../credentials/chip-qr-agreement.js';
import type { ChipPromptStep } from '../events.js';
import { ok, type ReasonCode, type Result } from '../reasons.js';

type Facts = Record<string, string | number | boolean>;

/** The session's closed set, in the gateway's words: a card taken away early is a failed read, as on the serial path. */
export const SESSION_REASON: Record<ChipSessionReason, ReasonCode> = {
  'chip.access-denied': 'chip.access-denied',
  'chip.removed': 'chip.read-failed',
  'chip.sm-error': 'chip.sm-error',
  'chip.clone-suspected': 'chip.clone-suspected',
  'chip.malformed': 'chip.malformed',
};

export interface PcscChipFlowDeps {
  direction: Direction;
  reader: PcscChipReader;
  timeoutMs: number;
  cloneNotExcluded: PolicyConfig['chipCloneNotExcluded'];
  /** Whether this side matches faces against the chip photo (face.requireFor includes chip). */
  checksChipFace: boolean;
  /** The ICAO session (readChip); passed in so the composition root decides, and tests can count calls. */
  readChip: (channel: CardChannel, options: ChipSessionOptions) => Promise<ChipSessionOutcome>;
  /**
   * The chip read and the QR that opened it, for the decision service (PA, QR cross-check, policy, commit):
   * the QR as scanned and as parsed here for the CAN, so it is not parsed again.
   */
  decide: (read: {
    sod: Buffer;
    dataGroups: Map<number, Buffer>;
    qrText: string;
    qr: CccdQr;
    facts: Facts;
    receivedAt: number;
  }) => Promise<unknown>;
  /** A presentation that ended before there was a chip read to decide on: logged as a denial with `reason`. */
  deny: (reason: ReasonCode, facts: Facts, receivedAt: number) => Promise<unknown>;
  prompt: (step: ChipPromptStep) => void;
  logger: Logger;
  /** Wall-clock ms: the QR's dates are checked against it. */
  now?: () => number;
  /** Monotonic ms for the wait's deadline: a wall-clock step during a read must not end or stretch the wait. */
  monotonicNow?: () => number;
}

interface Waiting {
  qrText: string;
  qr: CccdQr;
  can: string;
  receivedAt: number;
  /** When the wait for a card ends (this.monotonicNow() clock). */
  deadline: number;
  timer: NodeJS.Timeout;
}

export class PcscChipFlow {
  private waiting: Waiting | undefined;
  private reading = false;
  /** A card announced while an earlier one, already gone, was still being tried (see read()). */
  private arrivedDuringRead: PresentedCard | undefined;
  private readonly now: () => number;
  private readonly monotonicNow: () => number;
  private readonly onCard = (card: PresentedCard): void => this.cardPresented(card, true);

  constructor(private readonly deps: PcscChipFlowDeps) {
    this.now = deps.now ?? Date.now;
    this.monotonicNow = deps.monotonicNow ?? (() => performance.now());
  }

  start(): void {
    this.deps.reader.on('cardInserted', this.onCard);
  }

  stop(): void {
    this.deps.reader.off('cardInserted', this.onCard);
    if (this.waiting) clearTimeout(this.waiting.timer);
    this.waiting = undefined;
  }

  /**
   * A CCCD QR scanned on this side. A later scan replaces an earlier one that no card followed: the person
   * at the reader is the one who scanned last.
   */
  expectCard(qrText: string, receivedAt: number): void {
    // A QR that does not parse is denied now, with its own reason, rather than after a card nobody will read.
    const expected = cardNamedByQr(qrText, this.now());
    if (!expected.ok) {
      void this.settle(this.deps.deny(expected.reason, { step: 'qr' }, receivedAt));
      return;
    }
    this.wait({ qrText, ...expected.value, receivedAt }, this.monotonicNow() + this.deps.timeoutMs);
    this.deps.prompt('hold-card');
    // A card already lying on the reader is read now: pcscd will not announce it again.
    const card = this.deps.reader.card;
    if (card && !this.reading) this.cardPresented(card, false);
  }

  private wait(w: Omit<Waiting, 'timer' | 'deadline'>, deadline: number): void {
    if (this.waiting) clearTimeout(this.waiting.timer);
    // Not unref'd: a pending wait owes the log a chip.timeout; stop() clears it.
    const timer = setTimeout(() => this.timedOut(), Math.max(0, deadline - this.monotonicNow()));
    this.waiting = { ...w, deadline, timer };
  }

  private timedOut(): void {
    const w = this.waiting;
    if (!w || this.reading) return;
    this.waiting = undefined;
    this.deps.prompt('done');
    void this.settle(this.deps.deny('chip.timeout', { timeoutMs: this.deps.timeoutMs }, w.receivedAt));
  }

  private cardPresented(card: PresentedCard, announced: boolean): void {
    const w = this.waiting;
    if (this.reading) {
      if (announced) this.arrivedDuringRead = card;
      return;
    }
    if (!w) {
      // No CAN without the QR: say what to do rather than fail a PACE that cannot succeed.
      this.deps.logger.info({ direction: this.deps.direction }, 'chip card put down before a QR scan');
      this.deps.prompt('scan-qr-first');
      return;
    }
    clearTimeout(w.timer);
    this.waiting = undefined;
    this.reading = true;
    this.arrivedDuringRead = undefined;
    this.deps.prompt('reading');
    // The latency of this decision runs from the card, not the QR: the wait for the wallet is the person's.
    void this.settle(this.read(card.channel, w, performance.now(), announced));
  }

  private takeCardArrivedDuringRead(): void {
    const arrived = this.arrivedDuringRead;
    this.arrivedDuringRead = undefined;
    if (arrived) this.cardPresented(arrived, true);
  }

  private async read(channel: CardChannel, w: Waiting, cardAt: number, announced: boolean): Promise<void> {
    let outcome: ChipSessionOutcome;
    try {
      outcome = await this.deps.readChip(channel, { can: w.can });
    } finally {
      this.reading = false;
    }
    if (!outcome.ok && outcome.reason === 'chip.removed' && !announced) {
      // The reader still listed a card at the QR scan that had in fact gone (the previous person's, before
      // pcscd noticed): nobody presented it, so keep waiting for this person's card until the same deadline,
      // unless someone scanned a QR meanwhile: then theirs is the wait that stands.
      if (!this.waiting) this.wait(w, w.deadline);
      this.deps.prompt('hold-card');
      this.takeCardArrivedDuringRead();
      return;
    }
    // The card may go: what follows needs only the files, and the next person's card can be read. If the next
    // person already scanned their QR, their prompt stands, and a card they put down during this read (pcscd
    // announces it once, while we were busy) is read now.
    if (this.waiting) this.takeCardArrivedDuringRead();
    else {
      this.arrivedDuringRead = undefined;
      this.deps.prompt('done');
    }
    const facts: Facts = outcome.ok
      ? { chipAccess: outcome.value.access, apdus: outcome.value.metrics.apdus }
      : { chipAccess: 'failed', apdus: outcome.metrics.apdus };
    if (!outcome.ok) {
      // The session's detail names steps and status words, never card contents: it helps the operator.
      this.deps.logger.warn(
        { direction: this.deps.direction, reason: outcome.reason, detail: outcome.detail.slice(0, 160) },
        'chip session failed',
      );
      await this.deps.deny(SESSION_REASON[outcome.reason], { ...facts, chipSession: outcome.reason }, cardAt);
      return;
    }
    const readout = outcome.value;
    facts.chipAuthentication = readout.chipAuthentication;
    facts.activeAuthentication = readout.activeAuthentication;
    const exclusion = cloneExclusion(readout, this.deps.cloneNotExcluded, this.deps.checksChipFace);
    if (!exclusion.ok) {
      await this.deps.deny(exclusion.reason, facts, cardAt);
      return;
    }
    facts.cloneExcluded = exclusion.value === 'proved';
    const dataGroups = new Map<number, Buffer>();
    for (const [n, bytes] of readout.dataGroups) dataGroups.set(n, Buffer.from(bytes));
    await this.deps.decide({
      sod: Buffer.from(readout.sod),
      dataGroups,
      qrText: w.qrText,
      qr: w.qr,
      facts,
      receivedAt: cardAt,
    });
  }

  /** Every path ends in the log; a failure to reach it is logged here, never left unhandled. */
  private settle(work: Promise<unknown>): Promise<void> {
    return work.then(
      () => undefined,
      (err: unknown) => this.deps.logger.error({ err, direction: this.deps.direction }, 'chip presentation failed'),
    );
  }
}

/** The QR parsed once, here (the decision gets this parse with the chip read), and the CAN it gives. */
function cardNamedByQr(qrText: string, now: number): Result<{ qr: CccdQr; can: string }> {
  const qr = parseCccdQr(qrText, now);
  if (!qr.ok) return qr;
  const can = canFromCccdId(qr.value.identity.idNumber);
  return can.ok ? ok({ qr: qr.value, can: can.value }) : can;
}
