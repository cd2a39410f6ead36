// The reader module's end of the chip-reader link (drivers/chip-reader/PROTOCOL.md), for the simulator
// and for tests: it presents synthetic cards, sends heartbeats, and can misbehave on request.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { encodeCardBody } from '../../drivers/chip-reader/card-body.js';
import {
  CHUNK_HEADER_BYTES,
  decodeMessage,
  encodeMessage,
  type FeedbackSignal,
  type NakReason,
  type ReaderMessage,
} from '../../drivers/chip-reader/codec.js';
import {
  Deframer,
  encodeFrame,
  HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  PROTOCOL_VERSION,
  SOF,
} from '../../drivers/chip-reader/framing.js';
import type { ChipRead } from '../../drivers/chip-reader/index.js';
import type { ByteChannel } from '../../drivers/serial/link.js';

/**
 * Reader-side faults:
 * - 'corrupt-frame': the first data chunk goes out with a flipped byte (its CRC no longer matches);
 * - 'truncated-frame': only the first half of the first data chunk goes out, then the read stops;
 * - 'card-pulled': the first chunk goes out, then READ_ERROR card-removed and CARD_REMOVED;
 * - 'read-failed' / 'access-denied': the reader reports that error instead of any data.
 */
export type ReaderFault = 'corrupt-frame' | 'truncated-frame' | 'card-pulled' | 'read-failed' | 'access-denied';

export interface VirtualChipReaderOptions {
  heartbeatMs?: number;
  /** Card-body bytes per CARD_DATA frame; readers read the chip in blocks, so a CCCD spans several frames. */
  chunkBytes?: number;
}

export interface VirtualChipReaderEvents {
  feedback: [signal: FeedbackSignal];
  ack: [seq: number];
  nak: [reason: NakReason];
}

export class VirtualChipReader extends EventEmitter<VirtualChipReaderEvents> {
  readonly heartbeatMs: number;
  private readonly chunkBytes: number;
  private readonly incoming = new Deframer();
  private heartbeat: NodeJS.Timeout | undefined;
  private silent = false;
  private seq = 0;
  private nextReadId = 1;
  private lastReadId = 0;
  /** Every FEEDBACK the gateway sent, oldest first. */
  readonly feedbackReceived: FeedbackSignal[] = [];

  constructor(
    private readonly channel: ByteChannel,
    options: VirtualChipReaderOptions = {},
  ) {
    super();
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.chunkBytes = options.chunkBytes ?? 8192;
    if (!(this.heartbeatMs > 0)) throw new TypeError('heartbeatMs must be positive');
    if (
      !Number.isInteger(this.chunkBytes) ||
      this.chunkBytes < 1 ||
      this.chunkBytes > MAX_PAYLOAD_BYTES - CHUNK_HEADER_BYTES
    ) {
      throw new TypeError(`chunkBytes must be 1..${MAX_PAYLOAD_BYTES - CHUNK_HEADER_BYTES}`);
    }
  }

  /** Starts listening and sending heartbeats (the first one at once, as a reader does on power-up). */
  start(): void {
    this.channel.on('data', this.onData);
    this.silent = false;
    this.armHeartbeat();
  }

  stop(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.channel.off('data', this.onData);
  }

  /** Stops sending anything, heartbeats included: a reader that hung or lost power behind a live USB adapter. */
  goSilent(): void {
    this.silent = true;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Comes back after goSilent(). */
  resume(): void {
    this.silent = false;
    this.armHeartbeat();
  }

  /** Line noise: random bytes around a fake frame header whose CRC cannot match, to exercise resync. */
  async sendGarbage(length = 64): Promise<void> {
    const fakeHeader = Buffer.from([SOF, PROTOCOL_VERSION, 0x11, 0x00, 0x00, 0x00, 0x00, 0x10]);
    await this.channel.write(
      Buffer.concat([randomBytes(length >> 1), fakeHeader, randomBytes(length - (length >> 1))]),
    );
  }

  /** Places a card on the reader: CARD_PRESENT, then the card body in chunks, unless a fault says otherwise. */
  async present(card: ChipRead, options: { fault?: ReaderFault } = {}): Promise<void> {
    const readId = this.nextReadId;
    this.nextReadId = (this.nextReadId % 0xffff) + 1;
    this.lastReadId = readId;
    const fault = options.fault;
    await this.sendMessage({ type: 'card-present', readId });
    if (fault === 'read-failed' || fault === 'access-denied') {
      await this.sendMessage({ type: 'read-error', readId, code: fault, text: `SIMULATED ${fault}` });
      return;
    }
    const body = encodeCardBody(card);
    for (let offset = 0; offset < body.length; offset += this.chunkBytes) {
      const data = body.subarray(offset, offset + this.chunkBytes);
      const final = offset + data.length >= body.length;
      const frame = this.frameOf({ type: 'card-data', readId, offset, final, data });
      if (offset === 0 && fault === 'corrupt-frame') {
        frame[HEADER_BYTES + CHUNK_HEADER_BYTES] ^= 0xff;
        await this.channel.write(frame);
        continue;
      }
      if (offset === 0 && fault === 'truncated-frame') {
        await this.channel.write(frame.subarray(0, frame.length >> 1));
        return;
      }
      await this.channel.write(frame);
      if (offset === 0 && fault === 'card-pulled' && !final) {
        await this.sendMessage({
          type: 'read-error',
          readId,
          code: 'card-removed',
          text: 'SIMULATED card left the field',
        });
        await this.sendMessage({ type: 'card-removed', readId });
        return;
      }
    }
  }

  /** Lifts the last presented card off the reader. */
  async remove(): Promise<void> {
    await this.sendMessage({ type: 'card-removed', readId: this.lastReadId });
  }

  private readonly onData = (bytes: Buffer): void => {
    for (const out of this.incoming.push(bytes, Date.now())) {
      if (out.kind !== 'frame') continue;
      const decoded = decodeMessage(out.frame);
      if (!decoded.ok) continue;
      const m = decoded.value;
      if (m.type === 'feedback') {
        this.feedbackReceived.push(m.signal);
        this.emit('feedback', m.signal);
      } else if (m.type === 'ack') this.emit('ack', m.seq);
      else if (m.type === 'nak') this.emit('nak', m.reason);
    }
  };

  private armHeartbeat(): void {
    clearInterval(this.heartbeat);
    const beat = () => {
      if (!this.silent) void this.sendMessage({ type: 'heartbeat', intervalMs: this.heartbeatMs }).catch(() => {});
    };
    beat();
    this.heartbeat = setInterval(beat, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private frameOf(message: ReaderMessage): Buffer {
    const { type, payload } = encodeMessage(message);
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    return encodeFrame({ type, seq, payload });
  }

  private async sendMessage(message: ReaderMessage): Promise<void> {
    await this.channel.write(this.frameOf(message));
  }
}
