// The readers of one lane: QR scanners, chip readers (a vendor's serial box, or a PC/SC reader the gateway
// drives through pcsc-chip-flow.ts) turned into presentations. Each read becomes one credential, paired with
// its partner where it needs one (reader-pairing.ts), and goes one way: to the lane's decide, which hands it
// to the decision service. A read that fails before there is a credential is logged as a denial.
import type { Logger } from 'pino';
import { readChip } from '../../drivers/chip-pcsc/icao/index.js';
import type { PcscChipReader } from '../../drivers/chip-pcsc/pcsc/index.js';
import type { ChipReader } from '../../drivers/chip-reader/index.js';
import type { QrScanner } from '../../drivers/qr-scanner/index.js';
import type { Direction, LaneConfig, PolicyConfig } from '../config/schema.js';
import { type CredentialInput, scannedCredential } from '../credentials/establish.js';
import type { DeviceKind, EventBus, LinkState } from '../events.js';
import { LogThrottle } from '../log-throttle.js';
import { ok } from '../reasons.js';
import { TokenBucket } from '../token-bucket.js';
import type { DecisionOutcome, DecisionRequest, DecisionService } from './decision-service.js';
import { PcscChipFlow } from './pcsc-chip-flow.js';
import { type HeldPresentation, holdExpired, pairPresentation, scanStartsChipRead, sideOf } from './reader-pairing.js';

export interface ReaderDevices {
  qr: Partial<Record<Direction, QrScanner>>;
  chip: Partial<Record<Direction, ChipReader>>;
  /** Chip readers the gateway drives itself over PC/SC: the QR scan on that side starts the chip read. */
  pcsc?: Partial<Record<Direction, PcscChipReader>>;
}

export interface LaneReadersDeps {
  config: LaneConfig;
  devices: ReaderDevices;
  decisions: Pick<DecisionService, 'ticketNamesHolder' | 'recordFailure'>;
  /** The lane's decide: checks that the lane can act, hands the request to the decision service, acts on an allow. */
  decide: (req: Omit<DecisionRequest, 'lane'>) => Promise<DecisionOutcome>;
  onLink: (device: DeviceKind, side: Direction, state: LinkState, reason?: string) => void;
  bus: EventBus;
  logger: Logger;
  /** Wall-clock ms: prompt timestamps, and the chip flow's QR dates. */
  now: () => number;
  /**
   * Monotonic ms: the pairing window, the read-failure throttle and the presentation budget, durations a
   * wall-clock step must not bend.
   */
  monotonicNow: () => number;
  cloneNotExcluded?: PolicyConfig['chipCloneNotExcluded'];
  readChip?: typeof readChip;
  pairingWindowMs?: number;
}

/**
 * Presentations one reader side may make: 10 at once, then 5 a second. A person shows a code every second or
 * two; more is a device or a code misbehaving. A printed QR holding 1,476 terminators made 1,476 scans in one
 * presentation, each a decision and an event: past the budget they are dropped before any decision (counted,
 * logged once a period), so a hostile code cannot flood the event log nor push real events out of
 * size-bounded retention, nor make a count window look implausible to the IOC.
 */
export const PRESENTATION_BURST = 10;
export const PRESENTATION_REFILL_MS = 2000;

export class LaneReaders {
  private readonly id: string;
  private readonly presentationBudget: Record<Direction, TokenBucket>;
  private readonly warnings: LogThrottle;
  /** A credential waiting for its partner (a bound ticket for the holder's CCCD, or the reverse), per side. */
  private readonly held: Partial<Record<Direction, HeldPresentation>> = {};
  private readonly lastReadFailure: Partial<Record<Direction, number>> = {};
  private readonly chipFlows: Partial<Record<Direction, PcscChipFlow>> = {};

  constructor(private readonly deps: LaneReadersDeps) {
    this.id = deps.config.id;
    const mono = deps.monotonicNow;
    this.warnings = new LogThrottle({ everyMs: 10_000, monotonicNow: mono });
    this.presentationBudget = {
      in: new TokenBucket(PRESENTATION_BURST, PRESENTATION_REFILL_MS, mono),
      out: new TokenBucket(PRESENTATION_BURST, PRESENTATION_REFILL_MS, mono),
    };
  }

  /** Whether this side's reader may present now; a presentation past the budget is dropped here, counted and logged. */
  private withinBudget(direction: Direction, source: 'qr-scanner' | 'chip-reader'): boolean {
    if (this.presentationBudget[direction].take()) return true;
    this.deps.bus.emit('input.rejected', { source, reason: 'rate-limited' });
    const heldBack = this.warnings.pass(`rate-limited:${direction}`);
    if (heldBack !== null)
      this.deps.logger.warn(
        { direction, source, droppedSinceLastLine: heldBack },
        'reader presenting faster than a person can: presentation dropped before any decision',
      );
    return false;
  }

  /** Listens to every reader of the lane and starts them. */
  async start(): Promise<void> {
    const { devices, logger, bus } = this.deps;
    for (const d of ['in', 'out'] as const) {
      const pcsc = devices.pcsc?.[d];
      if (pcsc) this.startChipFlow(d, pcsc);
      const qr = devices.qr[d];
      qr?.on('scan', (text) => {
        if (this.withinBudget(d, 'qr-scanner')) this.scanned(d, text);
      });
      qr?.on('rejected', (reason, bytes) => {
        // Line noise arrives at the line's rate: one line per direction and reason a period, with the count.
        const heldBack = this.warnings.pass(`frame:${d}:${reason}`);
        if (heldBack !== null)
          logger.warn({ direction: d, reason, bytes, rejectedSinceLastLine: heldBack }, 'qr frame rejected');
        bus.emit('input.rejected', { source: 'qr-scanner', reason });
      });
      qr?.on('link', (state, reason) => this.deps.onLink('qr-scanner', d, state, reason));
      const chip = devices.chip[d];
      chip?.on('card', (read) => {
        if (this.withinBudget(d, 'chip-reader'))
          this.presentSafely(d, { kind: 'chip', sod: read.sod, dataGroups: read.dataGroups }, performance.now());
      });
      chip?.on('readError', (error, detail) => this.readFailed(d, error, detail));
      chip?.on('link', (state, reason) => this.deps.onLink('chip-reader', d, state, reason));
    }
    await Promise.all(this.all().map((r) => r.start()));
  }

  async stop(): Promise<void> {
    for (const flow of Object.values(this.chipFlows)) flow.stop();
    const all = this.all();
    for (const r of all) r.removeAllListeners();
    await Promise.allSettled(all.map((r) => r.stop()));
  }

  /** A held credential whose partner did not come in time is decided alone. */
  tick(): void {
    for (const d of ['in', 'out'] as const) {
      const h = this.held[d];
      if (holdExpired(h, this.deps.monotonicNow())) {
        delete this.held[d];
        void this.deps
          .decide({ direction: d, credential: h.credential, source: 'reader', receivedAt: h.receivedAt })
          .catch((err) => this.deps.logger.error({ err }, 'decision failed'));
      }
    }
  }

  /** A credential at a reader on this lane. Bound tickets and ID cards pair up within a short window. */
  /** present() from a device event, where nobody awaits it: a failure is logged, never left unhandled. */
  private presentSafely(direction: Direction, credential: CredentialInput, receivedAt: number): void {
    this.present(direction, credential, receivedAt).catch((err) =>
      this.deps.logger.error({ err, direction }, 'decision failed'),
    );
  }

  async present(
    direction: Direction,
    credential: CredentialInput,
    receivedAt: number,
  ): Promise<DecisionOutcome | null> {
    // Before the held credential is read: nothing else runs between that read and the write below.
    const ticketNamesHolder =
      credential.kind === 'ticket' ? await this.deps.decisions.ticketNamesHolder(credential.token) : false;
    const pairing = pairPresentation({
      held: this.held[direction],
      presented: { credential, receivedAt },
      side: sideOf(this.deps.config, direction),
      ticketNamesHolder,
      now: this.deps.monotonicNow(),
      windowMs: this.deps.pairingWindowMs ?? 20000,
    });
    this.held[direction] = pairing.held;
    if (pairing.t === 'hold') {
      this.deps.logger.info({ direction, waitingFor: pairing.waitingFor }, 'credential held for pairing');
      return null;
    }
    const { credential: primary, supporting } = pairing;
    return this.deps.decide({
      direction,
      credential: primary,
      ...(supporting ? { supporting } : {}),
      source: 'reader',
      receivedAt: pairing.receivedAt,
    });
  }

  private all(): Array<QrScanner | ChipReader | PcscChipReader> {
    const { devices } = this.deps;
    return [...Object.values(devices.qr), ...Object.values(devices.chip), ...Object.values(devices.pcsc ?? {})];
  }

  private scanned(direction: Direction, text: string): void {
    const credential = scannedCredential(text);
    const flow = this.chipFlows[direction];
    if (flow && scanStartsChipRead(credential, sideOf(this.deps.config, direction), true))
      flow.expectCard(text, performance.now());
    else this.presentSafely(direction, credential, performance.now());
  }

  private readFailed(direction: Direction, error: string, detail: string): void {
    this.deps.logger.warn({ direction, error, detail: detail.slice(0, 120) }, 'chip read failed');
    this.deps.bus.emit('input.rejected', { source: 'chip-reader', reason: error });
    // The person is standing at the lane with a card that did not read: log it as a denial so the operator
    // sees why. A noisy line can produce bursts of bad frames; one denial per side every 2 s is enough.
    const now = this.deps.monotonicNow();
    if (now - (this.lastReadFailure[direction] ?? Number.NEGATIVE_INFINITY) < 2000) return;
    this.lastReadFailure[direction] = now;
    void this.deps.decisions
      .recordFailure(
        { lane: this.id, direction, credential: 'chip', source: 'reader', receivedAt: performance.now() },
        'chip.read-failed',
        { readError: error },
      )
      .catch((err) => this.deps.logger.error({ err }, 'could not log the failed read'));
  }

  /** The QR-then-card flow of a PC/SC chip reader on one side (pcsc-chip-flow.ts); its link counts as the chip reader's. */
  private startChipFlow(direction: Direction, reader: PcscChipReader): void {
    const side = sideOf(this.deps.config, direction);
    const failure = { lane: this.id, direction, credential: 'chip' as const, source: 'reader' as const };
    const flow = new PcscChipFlow({
      direction,
      reader,
      timeoutMs: side?.chipReadTimeoutMs ?? 10_000,
      cloneNotExcluded: this.deps.cloneNotExcluded ?? 'deny',
      checksChipFace: side?.face.requireFor.includes('chip') ?? false,
      readChip: this.deps.readChip ?? readChip,
      decide: (read) =>
        this.deps.decide({
          direction,
          credential: { kind: 'chip', sod: read.sod, dataGroups: read.dataGroups },
          supporting: [{ kind: 'cccd-qr', text: read.qrText, parsed: ok(read.qr) }],
          source: 'reader',
          receivedAt: read.receivedAt,
          readerFacts: read.facts,
        }),
      deny: (reason, facts, receivedAt) => this.deps.decisions.recordFailure({ ...failure, receivedAt }, reason, facts),
      prompt: (step) => this.deps.bus.emit('chip.prompt', { lane: this.id, direction, step, ts: this.deps.now() }),
      logger: this.deps.logger,
      now: this.deps.now,
      monotonicNow: this.deps.monotonicNow,
    });
    reader.on('link', (state, reason) => this.deps.onLink('chip-reader', direction, state, reason));
    flow.start();
    this.chipFlows[direction] = flow;
  }
}
