// A Modbus RTU master with one transaction on the wire at a time and two queues: commands (unlock,
// free passage) go before polls, so an unlock waits at most for the one poll already on the wire, and for one
// more when a poll has waited behind a command: commands arriving back to back (a flood of grants) must not
// starve the input polls, or passages and forced entries go unseen while the lane is busiest.
//
// Why not modbus-serial's client: in RTU mode it keeps a single transaction slot (id 1), so two
// overlapping calls overwrite each other, it has no notion of priority, and it opens the port by path
// itself, which would bypass the shared reconnecting transport and the mock binding. The framing is
// small (rtu.ts); owning it also lets bad-CRC replies be counted instead of surfacing as strings.
import { fail, type Result } from '../../contracts/result.js';
import {
  expectedReplyLength,
  MAX_RTU_FRAME,
  parseReply,
  type RtuRejectReason,
  type RtuReply,
  type RtuRequest,
} from './rtu.js';

export type RtuFailureReason = RtuRejectReason | 'rtu.timeout' | 'rtu.disconnected';
export type RtuOutcome = Result<RtuReply, RtuFailureReason>;
export type RtuPriority = 'command' | 'poll';

export interface RtuMasterOptions {
  write(bytes: Uint8Array): Promise<void>;
  replyTimeoutMs: number;
  /** A reply arrived but was malformed (bad CRC, wrong length...): counted by the caller. */
  onRejectedReply?(reason: RtuRejectReason, detail: string | undefined): void;
}

interface Transaction {
  request: RtuRequest;
  priority: RtuPriority;
  retriesLeft: number;
  settle(outcome: RtuOutcome): void;
}

export class RtuMaster {
  private readonly commands: Transaction[] = [];
  private readonly polls: Transaction[] = [];
  private current: Transaction | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly rx = Buffer.alloc(MAX_RTU_FRAME);
  private rxLength = 0;
  /** The last transaction timed out, so its late reply may still arrive. */
  private staleBytesPossible = false;
  /** The transaction last put on the wire was a command: a waiting poll goes next. */
  private lastWasCommand = false;

  constructor(private readonly options: RtuMasterOptions) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  /**
   * Queues a request; resolves with the checked reply or a failure value, never rejects.
   * `retries`: how often to resend after a timeout or a garbled reply. A retry goes to the front of the
   * queue, so a retried unlock never waits behind a poll.
   */
  request(request: RtuRequest, priority: RtuPriority, retries = 0): Promise<RtuOutcome> {
    return new Promise((resolve) => {
      const queue = priority === 'command' ? this.commands : this.polls;
      // The same write already waiting (not yet on the wire) is the same board state: it is sent once and
      // answers both. Without this a burst of grants (each bumping the oldest of a full lane and pulsing the
      // next) queued a pulse per grant ahead of every poll, hundreds a second on a 9600-baud line: the input
      // polls starved, so passages and forced entries went unseen, and the queue grew without bound.
      // Only the latest queued write to the same register or coil counts: after an `off`, a new `on` is queued,
      // not merged into an earlier `on`, so the board ends in the state asked last.
      const latest = latestTo(queue, request);
      const same = latest?.request.bytes.equals(request.bytes) ? latest : undefined;
      if (same) {
        const earlier = same.settle;
        same.settle = (outcome) => {
          earlier(outcome);
          resolve(outcome);
        };
        same.retriesLeft = Math.max(same.retriesLeft, retries);
        return;
      }
      queue.push({ request, priority, retriesLeft: retries, settle: resolve });
      this.pump();
    });
  }

  /** Bytes from the port. Bytes nobody is waiting for (a reply that came after its timeout) are dropped. */
  feed(bytes: Uint8Array): void {
    const tx = this.current;
    if (!tx) return;
    const take = Math.min(this.rx.length - this.rxLength, bytes.length);
    this.rx.set(bytes.subarray(0, take), this.rxLength);
    this.rxLength += take;
    if (this.staleBytesPossible) this.searchForReply(tx);
    else this.cutReplyAtStart(tx);
  }

  // The usual case: the line was quiet when the request went out, so the reply starts at byte 0 and a
  // bad frame fails the transaction at once (no waiting for the timeout).
  private cutReplyAtStart(tx: Transaction): void {
    const need = expectedReplyLength(tx.request, this.rx, this.rxLength);
    if (need === undefined || this.rxLength < need) return;
    const reply = parseReply(tx.request, this.rx.subarray(0, need));
    if (!reply.ok && reply.reason !== 'rtu.exception') this.options.onRejectedReply?.(reply.reason, reply.detail);
    this.finish(tx, reply);
  }

  // After a timeout the board may still send its late reply while the next request is on the wire.
  // RTU has no delimiter, so look for a frame that checks out at any offset, and only give up at the timeout.
  private searchForReply(tx: Transaction): void {
    for (let offset = 0; offset < this.rxLength; offset++) {
      const view = this.rx.subarray(offset, this.rxLength);
      const need = expectedReplyLength(tx.request, view, view.length);
      if (need === undefined || view.length < need) continue;
      const reply = parseReply(tx.request, view.subarray(0, need));
      if (reply.ok || reply.reason === 'rtu.exception') {
        this.finish(tx, reply);
        return;
      }
    }
  }

  /** Fails the transaction on the wire and everything queued (the port went away). */
  abortAll(detail: string): void {
    const failed = fail('rtu.disconnected' as const, detail);
    const pending = [...(this.current ? [this.current] : []), ...this.commands.splice(0), ...this.polls.splice(0)];
    clearTimeout(this.timer);
    this.current = undefined;
    for (const tx of pending) tx.settle(failed);
  }

  private pump(): void {
    if (this.current) return;
    const pollsTurn = this.lastWasCommand && this.polls.length > 0;
    const tx = pollsTurn ? this.polls.shift() : (this.commands.shift() ?? this.polls.shift());
    if (!tx) return;
    this.lastWasCommand = !pollsTurn && tx.priority === 'command';
    this.current = tx;
    // Whatever is left from an earlier, failed exchange cannot belong to this request.
    this.rxLength = 0;
    this.timer = setTimeout(() => this.onTimeout(tx), this.options.replyTimeoutMs);
    this.options.write(tx.request.bytes).catch((err: unknown) => {
      this.finish(tx, fail('rtu.disconnected', err instanceof Error ? err.message : String(err)));
    });
  }

  private onTimeout(tx: Transaction): void {
    // Bytes came but never formed the reply: a garbled frame, which counts as rejected like a bad CRC.
    if (this.rxLength > 0) this.options.onRejectedReply?.('rtu.bad-crc', `no valid reply in ${this.rxLength} bytes`);
    this.finish(tx, fail('rtu.timeout', `${this.options.replyTimeoutMs} ms`));
  }

  private finish(tx: Transaction, outcome: RtuOutcome): void {
    if (this.current !== tx) return;
    this.staleBytesPossible = !outcome.ok && outcome.reason === 'rtu.timeout';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.current = undefined;
    this.rxLength = 0;
    if (!outcome.ok && tx.retriesLeft > 0 && isRetryable(outcome.reason)) {
      tx.retriesLeft--;
      this.commands.unshift(tx);
      // The same command again, not a new one: it goes straight back on the wire, ahead of a waiting poll.
      this.lastWasCommand = false;
    } else {
      tx.settle(outcome);
    }
    this.pump();
  }
}

/** Address, function code and first register or coil: the part of a request that says what it reads or writes. */
const TARGET_BYTES = 4;

function latestTo(queue: readonly Transaction[], request: RtuRequest): Transaction | undefined {
  const target = request.bytes.subarray(0, TARGET_BYTES);
  for (let i = queue.length - 1; i >= 0; i--) {
    if (queue[i]!.request.bytes.subarray(0, TARGET_BYTES).equals(target)) return queue[i];
  }
  return undefined;
}

export const isRetryable = (reason: RtuFailureReason): boolean =>
  reason !== 'rtu.disconnected' && reason !== 'rtu.exception';
