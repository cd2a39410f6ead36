// Holds each QoS 1 PUBACK until the message it acknowledges is committed to storage.
//
// Why a wrapper around a private method: mqtt.js 5 sends the PUBACK when `handleMessage` calls back, but it
// also handles incoming packets strictly one after another, so delaying that callback until a transaction
// commits would let only one message into each transaction (measured: one message per flush). mqtt.js has no
// manual-ack option, so we let `handleMessage` return at once and intercept the PUBACK on its way out in
// `_sendPacket`, keeping it until the transaction holding its message has committed.
//
// PUBACKs still leave in the order the PUBLISHes arrived (MQTT 5 §4.6): a committed message's ack waits behind
// an older held one, and acks of rejected messages (never stored, never retried) queue behind held ones too.
// On a lost connection every held ack is dropped: the broker redelivers those messages (clean:false), and
// storing them again is idempotent. A generation number stops an old transaction's commit from releasing an ack
// on a newer connection, where the same packet id may name another message.
import type { MqttClient } from 'mqtt';

type Packet = { cmd: string; messageId?: number };
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export interface AckToken {
  gen: number;
  messageId: number;
}

export class PubackGate {
  private gen = 0;
  private readonly held = new Set<number>();
  private readonly outbox: { packet: Packet; ready: boolean }[] = [];
  /** held acks already intercepted, by packet id, so a release finds its entry without scanning */
  private readonly waiting = new Map<number, { packet: Packet; ready: boolean }>();
  private readonly send: SendPacket;
  /** false when this mqtt.js has no `_sendPacket`: acks then go out on receipt (see ingest.ts for the loss bound). */
  readonly active: boolean;

  constructor(client: MqttClient) {
    const c = client as unknown as { _sendPacket?: SendPacket };
    const original = c._sendPacket;
    this.active = typeof original === 'function';
    this.send = this.active ? original!.bind(client) : () => {};
    if (!this.active) return;
    c._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd !== 'puback' || packet.messageId === undefined) return this.send(packet, cb, ...rest);
      if (!this.held.has(packet.messageId) && this.outbox.length === 0) return this.send(packet, cb, ...rest);
      const entry = { packet, ready: !this.held.has(packet.messageId) };
      this.outbox.push(entry);
      if (!entry.ready) this.waiting.set(packet.messageId, entry);
      // Let mqtt.js go on to the next incoming packet now; the ack itself leaves later.
      cb?.();
    };
    client.on('close', () => this.reset());
  }

  /** Call before mqtt.js acknowledges the message (i.e. in the 'message' listener). */
  hold(messageId: number): AckToken | null {
    if (!this.active) return null;
    this.held.add(messageId);
    return { gen: this.gen, messageId };
  }

  /** The messages are durable: their acks may leave, in arrival order. */
  release(tokens: readonly (AckToken | null)[]): void {
    for (const t of tokens) {
      if (!t || t.gen !== this.gen || !this.held.delete(t.messageId)) continue;
      const entry = this.waiting.get(t.messageId);
      if (entry) {
        entry.ready = true;
        this.waiting.delete(t.messageId);
      }
    }
    while (this.outbox.length && this.outbox[0]!.ready) this.send(this.outbox.shift()!.packet);
  }

  get heldCount(): number {
    return this.held.size;
  }

  private reset(): void {
    this.gen++;
    this.held.clear();
    this.waiting.clear();
    this.outbox.length = 0;
  }
}
