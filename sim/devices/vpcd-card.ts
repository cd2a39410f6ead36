// The card's side of vsmartcard's virtual reader: pcscd's vpcd driver listens on TCP (35963 for the
// first "Virtual PCD" slot, see /etc/reader.conf.d/vpcd) and a virtual card connects to it as a client.
// pcscd polls presence by asking for the ATR, so a connected card that answers is "in the field" and a
// closed connection is "removed". Any CardBehaviour (a simulated CCCD chip, a test card) can sit behind it,
// and the gateway then reads it through real pcscd and the real PC/SC transport.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { CardBehaviour } from '../../drivers/chip-pcsc/card-channel.js';
import { decodeRequest, encodeMessage, VpcdDeframer, type VpcdRequest } from './vpcd-framing.js';

export const VPCD_DEFAULT_PORT = 35963;

export interface VpcdCardOptions {
  host?: string;
  port?: number;
  /** Wait between connection attempts while the card should be inserted but pcscd is not listening. */
  retryMs?: number;
}

export interface VpcdCardEvents {
  /** The connection to vpcd is up: pcscd sees the card at its next presence poll. */
  connected: [];
  /** The connection closed: by remove(), or by pcscd (restart, eject). */
  disconnected: [reason: string];
  /** A message from vpcd was refused (never thrown): the reason, for tests and logs. */
  refused: [reason: string];
}

export class VpcdCard extends EventEmitter<VpcdCardEvents> {
  private socket: Socket | undefined;
  private readonly deframer = new VpcdDeframer();
  private wantInserted = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly retryMs: number;
  /** APDUs answered since construction (for tests that need to know the card was really reached). */
  apdusAnswered = 0;

  constructor(
    private behaviour: CardBehaviour,
    options: VpcdCardOptions = {},
  ) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    this.retryMs = options.retryMs ?? 200;
  }

  get isConnected(): boolean {
    return this.socket !== undefined && !this.socket.connecting;
  }

  /**
   * Puts the card in the field (optionally another card): connects, and keeps reconnecting while it should
   * be inserted (pcscd restarted, or not started yet). Resolves once connected.
   */
  insert(behaviour?: CardBehaviour): Promise<void> {
    if (behaviour) this.behaviour = behaviour;
    this.wantInserted = true;
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve) => {
      const onConnected = (): void => resolve();
      this.once('connected', onConnected);
      if (!this.socket && !this.retryTimer) this.connectOnce();
    });
  }

  /** Takes the card out of the field: the connection is closed and pcscd reports the card removed. */
  remove(): void {
    this.wantInserted = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.deframer.reset();
    if (socket) {
      socket.destroy();
      this.emit('disconnected', 'removed');
    }
  }

  private connectOnce(): void {
    this.retryTimer = undefined;
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.socket = socket;
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      socket.setNoDelay(true);
      this.emit('connected');
    });
    socket.on('data', (bytes: Buffer) => {
      if (this.socket !== socket) return;
      for (const body of this.deframer.push(bytes)) this.onMessage(socket, body);
    });
    // 'error' is always followed by 'close'; handling it here keeps a refused connection from throwing.
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.deframer.reset();
      this.emit('disconnected', 'closed by vpcd');
      if (this.wantInserted) this.retryTimer = setTimeout(() => this.connectOnce(), this.retryMs);
    });
  }

  private onMessage(socket: Socket, body: Uint8Array): void {
    const request = decodeRequest(body);
    if (!request.ok) {
      this.emit('refused', `${request.reason}: ${request.detail ?? ''}`);
      return;
    }
    const answer = this.answer(request.value);
    // The behaviour may have taken the card out while answering (a test of removal mid-exchange).
    if (answer === undefined || this.socket !== socket) return;
    const framed = encodeMessage(answer);
    if (!framed.ok) {
      this.emit('refused', `${framed.reason}: ${framed.detail ?? ''}`);
      return;
    }
    socket.write(framed.value);
  }

  private answer(request: VpcdRequest): Uint8Array | undefined {
    if (request.kind === 'apdu') {
      this.apdusAnswered++;
      try {
        return this.behaviour.process(request.apdu);
      } catch {
        // CardBehaviour promises not to throw; if one does, answer as a card would: 6F00, no precise diagnosis.
        return Uint8Array.of(0x6f, 0x00);
      }
    }
    switch (request.control) {
      case 'getAtr':
        return this.behaviour.atr;
      case 'powerOn':
        this.behaviour.powerOn();
        return undefined;
      case 'powerOff':
        this.behaviour.powerOff();
        return undefined;
      case 'reset':
        this.behaviour.reset();
        return undefined;
    }
  }
}
