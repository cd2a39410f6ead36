// The PC/SC chip reader: the native binding (`smartcard`) runs in a child process and this side holds
// everything that must survive it. When the child dies (a native crash, pcscd gone, a corrupt frame) the
// reader is marked down, in-flight transmits reject with `readerGone`, and a new child starts with backoff.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { reconnectDelayMs } from '../../serial/backoff.js';
import { type CardChannel, CardChannelError } from '../card-channel.js';
import { CHILD_EXIT_PCSC_UNUSABLE, CHILD_SOURCE } from './child-source.js';
import { atrAdvertisesExtendedLength, readerTakesExtendedLength } from './extended-length.js';
import {
  DEFAULT_RESTART,
  DEFAULT_TRANSMIT_TIMEOUT_MS,
  PCSC_NOT_INSTALLED,
  type PcscChipReader,
  type PcscHealth,
  type PcscLinkState,
  type PcscReaderEvents,
  type PcscReaderOptions,
  type PresentedCard,
} from './index.js';
import { ChildDeframer, type ChildMessage, encodeFrame, MAX_COMMAND_BYTES } from './protocol.js';
import { parseReaderSelector, type ReaderMatcher } from './reader-selector.js';
import { classifyTransmitFailure } from './transmit-failure.js';

/** Short APDU: 256 data bytes + SW1 SW2. Extended: 65536 + 2. */
const SHORT_RECV_BYTES = 258;
const EXTENDED_RECV_BYTES = 65_538;
/** Keep the tail of the child's stderr for lastError; pcsc-lite prints its own diagnostics there. */
const STDERR_TAIL_CHARS = 300;
/** pcscd reports its readers within milliseconds of a context opening; 2 s leaves room on a loaded box. */
const MISSING_READER_GRACE_MS = 2_000;

interface PendingTransmit {
  resolve: (response: Uint8Array) => void;
  reject: (err: CardChannelError) => void;
  timer: NodeJS.Timeout;
}

interface CurrentCard extends PresentedCard {
  seq: number;
}

export class PcscTransport extends EventEmitter<PcscReaderEvents> implements PcscChipReader {
  private readonly matches: ReaderMatcher | undefined;
  private readonly now: () => number;
  private child: ChildProcess | undefined;
  private running = false;
  /** The binding cannot load: restarting cannot help, so the reader stays down with the reason. */
  private unavailable = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private missingReaderTimer: NodeJS.Timeout | undefined;
  private failedStarts = 0;
  private starts = 0;
  private readerName: string | undefined;
  private current: CurrentCard | undefined;
  private readonly pending = new Map<number, PendingTransmit>();
  private nextTransmitId = 1;
  private announced: PcscLinkState | undefined;
  private lastSeenAt = 0;
  private rejectedMessages = 0;
  private lastError: string | undefined;

  constructor(private readonly options: PcscReaderOptions) {
    super();
    this.now = options.now ?? Date.now;
    const selector = parseReaderSelector(options.reader);
    if (selector.ok) this.matches = selector.value;
    else this.lastError = selector.detail ?? selector.reason;
  }

  get card(): PresentedCard | undefined {
    return this.current;
  }

  /** The child's process id, while one runs (for health pages and for the crash test). */
  get childPid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (!this.matches) {
      this.announce('down', `bad reader selector: ${this.lastError}`);
      return;
    }
    this.spawnChild();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    clearTimeout(this.missingReaderTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.child = undefined;
    this.dropReader(new CardChannelError('PC/SC reader stopped', { readerGone: true }));
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Closing stdin asks the child to stop its monitor and exit; SIGKILL if it does not within a second.
      child.stdin?.end();
      const force = setTimeout(() => child.kill('SIGKILL'), 1_000);
      await exited;
      clearTimeout(force);
    }
  }

  health(): PcscHealth {
    const health: PcscHealth = {
      kind: 'chip-pcsc',
      reader: this.options.reader,
      state: this.announced ?? 'down',
      lastSeenAt: this.lastSeenAt,
      restarts: Math.max(0, this.starts - 1),
      rejectedMessages: this.rejectedMessages,
    };
    if (this.readerName !== undefined) health.readerName = this.readerName;
    if (this.lastError !== undefined) health.lastError = this.lastError;
    return health;
  }

  private spawnChild(): void {
    this.restartTimer = undefined;
    let smartcardPath: string;
    try {
      smartcardPath = createRequire(import.meta.url).resolve(this.options.smartcardModule ?? 'smartcard');
    } catch {
      this.markUnavailable('the smartcard package is not installed');
      return;
    }
    this.starts++;
    const child = spawn(process.execPath, ['-e', CHILD_SOURCE, smartcardPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // The daemon's own flags (a tsx loader, inspector ports) are not the child's business.
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child = child;
    const deframer = new ChildDeframer();
    let stderrTail = '';
    child.stdout.on('data', (bytes: Buffer) => {
      if (this.child !== child) return;
      for (const out of deframer.push(bytes)) {
        if (out.kind === 'message') this.onMessage(out.message);
        else this.refuse(`${out.reason}: ${out.detail}`);
      }
      // A frame too long to skip leaves the stream unreadable: only a fresh child can speak again.
      if (deframer.broken) child.kill('SIGKILL');
    });
    child.stderr.on('data', (text: Buffer) => {
      stderrTail = (stderrTail + text.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    // Writes to a child that just died fail with EPIPE; its exit is handled below.
    child.stdin.on('error', () => {});
    child.on('error', (err) => this.onChildGone(child, `could not start the PC/SC child: ${err.message}`));
    child.on('exit', (code, signal) => {
      const why =
        code === CHILD_EXIT_PCSC_UNUSABLE
          ? `pcscd unusable: ${this.lastError ?? 'no detail'}`
          : `PC/SC child exited (${signal ?? `code ${code}`})${stderrTail ? `: ${stderrTail.trim().split('\n').pop()}` : ''}`;
      this.onChildGone(child, why);
    });
  }

  /**
   * pcscd lists the readers it has right after the child starts; if none matches by then, the lane learns
   * the reader is missing (once, not at every restart of a child that will find it a moment later).
   */
  private armMissingReaderVerdict(): void {
    clearTimeout(this.missingReaderTimer);
    this.missingReaderTimer = setTimeout(() => {
      if (this.running && this.readerName === undefined) {
        this.announce('down', `no PC/SC reader matches ${this.options.reader}`);
      }
    }, MISSING_READER_GRACE_MS);
    this.missingReaderTimer.unref();
  }

  private onChildGone(child: ChildProcess, reason: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.dropReader(new CardChannelError(`PC/SC reader gone: ${reason}`, { readerGone: true }));
    if (this.unavailable) return;
    this.lastError = reason;
    this.announce('down', reason);
    if (!this.running) return;
    const delay = reconnectDelayMs(this.failedStarts++, this.options.restart ?? DEFAULT_RESTART);
    this.restartTimer = setTimeout(() => this.spawnChild(), delay);
  }

  private onMessage(message: ChildMessage): void {
    this.lastSeenAt = this.now();
    switch (message.t) {
      case 'ready':
        this.failedStarts = 0;
        this.armMissingReaderVerdict();
        return;
      case 'unavailable':
        this.markUnavailable(message.message);
        this.child?.kill('SIGKILL');
        return;
      case 'error':
        this.lastError = message.message;
        return;
      case 'reader-attached':
        if (this.readerName === undefined && this.matches?.(message.reader)) {
          this.readerName = message.reader;
          this.emit('readerAttached', message.reader);
          this.announce('up');
        }
        return;
      case 'reader-detached':
        if (message.reader === this.readerName) {
          this.dropReader(new CardChannelError(`reader ${message.reader} detached`, { readerGone: true }));
          this.announce('down', 'reader detached');
        }
        return;
      case 'card-inserted':
        if (message.reader === this.readerName) this.onCardInserted(message.reader, message.card, message.atr);
        return;
      case 'card-removed':
        if (message.reader === this.readerName && message.card === this.current?.seq) {
          this.dropCard(new CardChannelError('the card left the field', { removed: true }));
        }
        return;
      case 'reply':
      case 'failed':
        this.onAnswer(message);
        return;
    }
  }

  private onCardInserted(readerName: string, seq: number, atrBase64: string): void {
    // A second insert without a removal between (the child missed it) replaces the old card.
    if (this.current) this.dropCard(new CardChannelError('another card was presented', { removed: true }));
    const atr = Uint8Array.from(Buffer.from(atrBase64, 'base64'));
    const configured = this.options.extendedLength ?? 'auto';
    const extendedLength =
      configured === 'auto' ? readerTakesExtendedLength(readerName) && atrAdvertisesExtendedLength(atr) : configured;
    const channel: CardChannel = {
      extendedLength,
      transmit: (apdu) => this.transmit(seq, extendedLength, apdu),
    };
    this.current = { readerName, atr, channel, seq };
    this.emit('cardInserted', { readerName, atr, channel });
  }

  private transmit(cardSeq: number, extendedLength: boolean, apdu: Uint8Array): Promise<Uint8Array> {
    if (this.current?.seq !== cardSeq) {
      return Promise.reject(new CardChannelError('the card left the field', { removed: true }));
    }
    const child = this.child;
    if (!child || !this.readerName) {
      return Promise.reject(new CardChannelError('PC/SC reader not available', { readerGone: true }));
    }
    if (apdu.length < 4 || apdu.length > MAX_COMMAND_BYTES) {
      return Promise.reject(new CardChannelError(`a command APDU of ${apdu.length} bytes is not one`));
    }
    const id = this.nextTransmitId++;
    const timeoutMs = this.options.transmitTimeoutMs ?? DEFAULT_TRANSMIT_TIMEOUT_MS;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.lastError = `transmit not answered within ${timeoutMs} ms`;
        reject(new CardChannelError(this.lastError, { timeout: true }));
        // A native call that never returns wedges the binding for every later card: the child goes, and
        // onChildGone restarts it with backoff (the point of keeping the binding in a process of its own).
        if (this.child === child) child.kill('SIGKILL');
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      child.stdin?.write(
        encodeFrame({
          t: 'transmit',
          id,
          reader: this.readerName!,
          card: cardSeq,
          apdu: Buffer.from(apdu).toString('base64'),
          maxRecvLength: extendedLength ? EXTENDED_RECV_BYTES : SHORT_RECV_BYTES,
        }),
      );
    });
  }

  private onAnswer(message: Extract<ChildMessage, { t: 'reply' | 'failed' }>): void {
    const waiting = this.pending.get(message.id);
    // An answer nobody waits for (timed out, or never asked) changes nothing.
    if (!waiting) return;
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.t === 'failed') {
      this.lastError = `transmit failed: ${message.message}`;
      waiting.reject(new CardChannelError(this.lastError, classifyTransmitFailure(message.message)));
      return;
    }
    const response = Uint8Array.from(Buffer.from(message.data, 'base64'));
    if (response.length < 2) {
      // Seen through pcscd + vpcd when the card leaves mid-exchange: the transmit "succeeds" with no bytes.
      // A card in the field always answers SW1 SW2, so the exchange is lost: present the card again.
      this.lastError = `a response of ${response.length} bytes has no status word: the card left mid-exchange`;
      waiting.reject(new CardChannelError(this.lastError, { removed: true }));
      return;
    }
    waiting.resolve(response);
  }

  /** The card is gone: its channel refuses from now on, and whatever waited on it learns why. */
  private dropCard(why: CardChannelError): void {
    if (!this.current) return;
    const readerName = this.current.readerName;
    this.current = undefined;
    this.rejectPending(why);
    this.emit('cardRemoved', readerName);
  }

  private dropReader(why: CardChannelError): void {
    this.dropCard(why);
    this.rejectPending(why);
    if (this.readerName !== undefined) {
      const name = this.readerName;
      this.readerName = undefined;
      this.emit('readerDetached', name);
    }
  }

  private rejectPending(why: CardChannelError): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      this.pending.delete(id);
      waiting.reject(why);
    }
  }

  private markUnavailable(detail: string): void {
    this.unavailable = true;
    this.lastError = `${PCSC_NOT_INSTALLED} (${detail})`;
    this.announce('down', this.lastError);
  }

  private refuse(detail: string): void {
    this.rejectedMessages++;
    this.lastError = `refused a message from the PC/SC child: ${detail}`;
  }

  /** Emits only on change, plus once at the first verdict (a reader missing at boot is reported down). */
  private announce(state: PcscLinkState, reason?: string): void {
    if (this.announced === state) return;
    this.announced = state;
    if (reason === undefined) this.emit('link', state);
    else this.emit('link', state, reason);
  }
}
