// The chip reader as the gateway sees it: serial bytes in, whole cards (or one clear error) out.
// framing.ts finds frames, codec.ts reads them, reassembly.ts and card-body.ts rebuild the card;
// this file only wires them to the serial connection and to the ChipReader events.
import { EventEmitter } from 'node:events';
import type { DeviceHealth } from '../device.js';
import type { BackoffPolicy } from '../serial/backoff.js';
import type { SerialPortConfig } from '../serial/config.js';
import { SerialConnection } from '../serial/connection.js';
import type { PortOpener } from '../serial/link.js';
import { type CardBodyError, decodeCardBody, MAX_CARD_BYTES } from './card-body.js';
import { decodeMessage, encodeMessage, type GatewayMessage, type NakReason, type ReaderMessage } from './codec.js';
import {
  DEFAULT_INTER_BYTE_TIMEOUT_MS,
  Deframer,
  encodeFrame,
  type Frame,
  type FramingError,
  MAX_PAYLOAD_BYTES,
} from './framing.js';
import type { ChipReadError, ChipReader, ChipReaderEvents } from './index.js';
import { CardAssembler } from './reassembly.js';

export interface ChipReaderOptions {
  port: SerialPortConfig;
  opener: PortOpener;
  /** Silence after which the reader counts as down; the reader sends a heartbeat every 5 s, so 3 may be missed. */
  linkSilenceMs?: number;
  interByteTimeoutMs?: number;
  reconnect?: BackoffPolicy;
  maxPayloadBytes?: number;
  maxCardBytes?: number;
  now?: () => number;
}

export const DEFAULT_LINK_SILENCE_MS = 15_000;
const DEFAULT_RECONNECT: BackoffPolicy = { initialMs: 250, maxMs: 10_000 };

const NAK_FOR: Record<FramingError, NakReason> = {
  'frame.corrupt': 'corrupt',
  'frame.truncated': 'truncated',
  'frame.too-long': 'too-long',
};

const READ_ERROR_FOR: Record<CardBodyError, ChipReadError> = {
  'card.malformed': 'frame.corrupt',
  'card.too-large': 'frame.too-long',
  'card.no-sod': 'read-failed',
};

export class SerialChipReader extends EventEmitter<ChipReaderEvents> implements ChipReader {
  private readonly connection: SerialConnection;
  private readonly now: () => number;
  private deframer: Deframer;
  private readonly assembler: CardAssembler;
  private truncationTimer: NodeJS.Timeout | undefined;
  private sendSeq = 0;
  private running = false;
  private lastAcceptedSeq = 0;

  constructor(private readonly options: ChipReaderOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.deframer = this.newDeframer();
    this.assembler = new CardAssembler(options.maxCardBytes ?? MAX_CARD_BYTES);
    this.connection = new SerialConnection({
      kind: 'chip-reader',
      port: options.port,
      opener: options.opener,
      reconnect: options.reconnect ?? DEFAULT_RECONNECT,
      liveness: { kind: 'replies', offlineAfterMs: options.linkSilenceMs ?? DEFAULT_LINK_SILENCE_MS },
      now: this.now,
    });
  }

  async start(): Promise<void> {
    this.running = true;
    this.connection.on('data', this.onBytes);
    this.connection.on('opened', this.onOpened);
    this.connection.on('link', this.onLink);
    await this.connection.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.truncationTimer);
    this.truncationTimer = undefined;
    this.connection.off('data', this.onBytes);
    this.connection.off('opened', this.onOpened);
    this.connection.off('link', this.onLink);
    await this.connection.stop();
    this.assembler.abandon();
  }

  health(): DeviceHealth {
    return this.connection.health();
  }

  /** Tells the person at the reader how the lane decided (LED and beep on the reader module). */
  sendFeedback(ok: boolean): Promise<void> {
    return this.send({ type: 'feedback', signal: ok ? 'ok' : 'deny' });
  }

  private readonly onOpened = (): void => {
    // Bytes from before an unplug belong to no frame on the new link.
    this.deframer = this.newDeframer();
    this.assembler.abandon();
  };

  private readonly onLink = (state: 'up' | 'down', reason?: string): void => {
    if (state === 'down' && this.assembler.activeReadId !== undefined) {
      this.assembler.abandon();
      this.emit('readError', 'read-failed', `link lost mid-read: ${reason ?? 'reader silent'}`);
    }
    if (reason === undefined) this.emit('link', state);
    else this.emit('link', state, reason);
  };

  private readonly onBytes = (bytes: Buffer): void => {
    this.handleDeframed(this.deframer.push(bytes, this.now()));
    this.armTruncationCheck();
  };

  /** While a frame is half received, look again once the inter-byte timeout could have passed. */
  private armTruncationCheck(): void {
    clearTimeout(this.truncationTimer);
    this.truncationTimer = undefined;
    if (this.deframer.pendingBytes === 0) return;
    const deframer = this.deframer;
    this.truncationTimer = setTimeout(() => {
      // On a busy box the timer can run before bytes already waiting in the OS buffer were read:
      // setImmediate lets the pending reads land first, so a slow event loop is not taken for a silent reader.
      setImmediate(() => {
        this.truncationTimer = undefined;
        if (deframer !== this.deframer || !this.running) return;
        this.handleDeframed(deframer.expire(this.now()));
        // Timers may also fire a little before the clock says the timeout passed: check again rather than wait forever.
        this.armTruncationCheck();
      });
    }, this.options.interByteTimeoutMs ?? DEFAULT_INTER_BYTE_TIMEOUT_MS);
  }

  private handleDeframed(outputs: ReturnType<Deframer['push']>): void {
    for (const out of outputs) {
      if (out.kind === 'frame') this.onFrame(out.frame);
      else this.rejectFrame(out.reason, out.detail, NAK_FOR[out.reason]);
    }
  }

  private onFrame(frame: Frame): void {
    // A frame with a good CRC proves the reader is alive, even when its content is refused below.
    this.connection.markSeen();
    const decoded = decodeMessage(frame);
    if (!decoded.ok) {
      this.connection.countRejected(`${decoded.reason}: ${decoded.detail ?? ''}`);
      if (this.assembler.activeReadId !== undefined) this.failRead('frame.corrupt', decoded.detail ?? decoded.reason);
      return;
    }
    const message = decoded.value;
    if (message.type === 'ack' || message.type === 'nak' || message.type === 'feedback') {
      // Our own direction coming back: a loopback or a miswired line, not a reader.
      this.connection.countRejected(`gateway-only message ${message.type} received from the reader`);
      return;
    }
    this.lastAcceptedSeq = frame.seq;
    this.onReaderMessage(message);
    if (message.type !== 'heartbeat') void this.send({ type: 'ack', seq: frame.seq }).catch(() => {});
  }

  private onReaderMessage(message: ReaderMessage): void {
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'card-present':
        this.assembler.start(message.readId);
        return;
      case 'card-data':
        this.onChunk(message);
        return;
      case 'read-error':
        this.assembler.abandon();
        this.emit('readError', message.code, message.text);
        return;
      case 'card-removed':
        if (this.assembler.activeReadId === message.readId) {
          this.assembler.abandon();
          this.emit('readError', 'card-removed', 'the card left the field before its read completed');
        }
        return;
    }
  }

  private onChunk(chunk: Extract<ReaderMessage, { type: 'card-data' }>): void {
    const outcome = this.assembler.add(chunk);
    if (outcome.kind === 'broken') {
      const error: ChipReadError = outcome.reason === 'too-large' ? 'frame.too-long' : 'frame.corrupt';
      this.rejectFrame(error, outcome.detail, outcome.reason === 'too-large' ? 'too-long' : 'out-of-order');
      return;
    }
    if (outcome.kind !== 'complete') return;
    const card = decodeCardBody(outcome.body, this.options.maxCardBytes ?? MAX_CARD_BYTES);
    if (!card.ok) {
      this.connection.countRejected(`${card.reason}: ${card.detail ?? ''}`);
      this.emit('readError', READ_ERROR_FOR[card.reason], card.detail ?? card.reason);
      return;
    }
    this.emit('card', card.value, this.now());
  }

  private rejectFrame(error: ChipReadError, detail: string, nak: NakReason): void {
    this.connection.countRejected(`${error}: ${detail}`);
    this.failRead(error, detail);
    void this.send({ type: 'nak', seq: this.lastAcceptedSeq, reason: nak }).catch(() => {});
  }

  /** A lost frame may have been part of a card: the read in progress cannot complete any more. */
  private failRead(error: ChipReadError, detail: string): void {
    this.assembler.breakCurrent();
    this.emit('readError', error, detail);
  }

  private send(message: GatewayMessage): Promise<void> {
    const { type, payload } = encodeMessage(message);
    const seq = this.sendSeq;
    this.sendSeq = (this.sendSeq + 1) & 0xff;
    return this.connection.write(encodeFrame({ type, seq, payload }));
  }

  private newDeframer(): Deframer {
    return new Deframer({
      maxPayloadBytes: this.options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES,
      interByteTimeoutMs: this.options.interByteTimeoutMs ?? DEFAULT_INTER_BYTE_TIMEOUT_MS,
    });
  }
}
