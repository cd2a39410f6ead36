// A simulated turnstile relay/IO board: the Modbus RTU slave described in drivers/turnstile/BOARD.md.
// It serves the gateway's real driver over a pty or the mock binding, keeps its own pulse timers (so a
// gateway that dies after an unlock still sees the gate re-lock), and lets a scenario move people through.
import { EventEmitter } from 'node:events';
import type { ByteChannel } from '../../drivers/serial/link.js';
import type { Direction } from '../../gateway/config/schema.js';
import {
  bitsReply,
  echoReply,
  exceptionReply,
  RtuRequestReader,
  type RtuSlaveRequest,
  registersReply,
  withBrokenCrc,
} from './modbus-rtu.js';

export const PULSE_REGISTER_BASE = 0x0200;
export const PULSE_UNIT_MS = 100;

export interface VirtualTurnstileOptions {
  address?: number;
  unlockCoil: { in: number; out: number };
  inputs: { passageIn: number; passageOut: number; alarm?: number; fireAlarm?: number };
  /** How long a simulated person keeps the passage sensor active. */
  passMs?: number;
  /** Relays and inputs on the board (addresses 0..n-1). */
  relayCount?: number;
  inputCount?: number;
  now?: () => number;
}

export interface VirtualTurnstileEvents {
  /** A relay for a direction closed; `at` is when the command arrived (benchmarks measure to it). */
  unlock: [direction: Direction, at: number, how: 'pulse' | 'hold'];
  lock: [direction: Direction, at: number];
  /** Every request served, by function code (tests count polls with it). */
  request: [functionCode: number];
  badFrame: [];
}

type Fault = { silent: boolean; replyDelayMs: number; corruptReplies: number; corruptOnly: number | undefined };

export class VirtualTurnstile extends EventEmitter<VirtualTurnstileEvents> {
  private readonly address: number;
  private readonly coils: boolean[];
  private readonly inputs: boolean[];
  private readonly pulseEnds = new Map<number, { timer: NodeJS.Timeout; endsAt: number }>();
  private readonly personTimers = new Set<NodeJS.Timeout>();
  private readonly reader: RtuRequestReader;
  private readonly onData = (bytes: Buffer): void => this.reader.push(bytes);
  private readonly now: () => number;
  private fault: Fault = { silent: false, replyDelayMs: 0, corruptReplies: 0, corruptOnly: undefined };

  constructor(
    private readonly channel: ByteChannel,
    private readonly options: VirtualTurnstileOptions,
  ) {
    super();
    this.address = options.address ?? 1;
    this.now = options.now ?? Date.now;
    const { unlockCoil, inputs } = options;
    const relayCount = Math.max(options.relayCount ?? 8, unlockCoil.in + 1, unlockCoil.out + 1);
    const inputAddresses = [inputs.passageIn, inputs.passageOut, inputs.alarm ?? 0, inputs.fireAlarm ?? 0];
    const inputCount = Math.max(options.inputCount ?? 8, ...inputAddresses.map((a) => a + 1));
    this.coils = new Array<boolean>(relayCount).fill(false);
    this.inputs = new Array<boolean>(inputCount).fill(false);
    this.reader = new RtuRequestReader({
      onRequest: (request) => this.serve(request),
      onBadFrame: () => this.emit('badFrame'),
    });
    channel.on('data', this.onData);
  }

  isUnlocked(direction: Direction): boolean {
    return this.coils[this.options.unlockCoil[direction]];
  }

  /** A person walks through: the passage sensor is active for passMs, then clears. */
  pass(direction: Direction): Promise<void> {
    return this.holdSensor(direction, this.options.passMs ?? 300);
  }

  /** Someone stands in the arm's sweep for `ms` (door held, tailgating). */
  holdSensor(direction: Direction, ms: number): Promise<void> {
    const address = direction === 'in' ? this.options.inputs.passageIn : this.options.inputs.passageOut;
    this.inputs[address] = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.personTimers.delete(timer);
        this.inputs[address] = false;
        resolve();
      }, ms);
      this.personTimers.add(timer);
    });
  }

  setAlarm(active: boolean): void {
    if (this.options.inputs.alarm !== undefined) this.inputs[this.options.inputs.alarm] = active;
  }

  setFireAlarm(active: boolean): void {
    if (this.options.inputs.fireAlarm !== undefined) this.inputs[this.options.inputs.fireAlarm] = active;
  }

  /** Delay every reply by `ms` (a busy or slow board); 0 restores normal speed. */
  respondSlowly(ms: number): void {
    this.fault.replyDelayMs = ms;
  }

  /** Stop answering (board powered off, RS-485 wire cut) while the serial port stays open. */
  goSilent(silent: boolean): void {
    this.fault.silent = silent;
  }

  /** The next `count` replies (only those to `functionCode`, when given) go out with a broken CRC (line noise). */
  corruptNextReplies(count: number, functionCode?: number): void {
    this.fault.corruptReplies = count;
    this.fault.corruptOnly = functionCode;
  }

  /** Detach from the channel and stop every timer. Relays stay as they are, like a board losing its master. */
  close(): void {
    this.channel.off('data', this.onData);
    for (const { timer } of this.pulseEnds.values()) clearTimeout(timer);
    for (const timer of this.personTimers) clearTimeout(timer);
    this.pulseEnds.clear();
    this.personTimers.clear();
  }

  private serve(request: RtuSlaveRequest): void {
    if (request.address !== this.address || this.fault.silent) return;
    const reply = this.execute(request);
    this.emit('request', request.functionCode);
    const corrupt =
      this.fault.corruptReplies > 0 && (this.fault.corruptOnly ?? request.functionCode) === request.functionCode;
    if (corrupt) this.fault.corruptReplies--;
    const bytes = corrupt ? withBrokenCrc(reply) : reply;
    const send = (): void => void this.channel.write(bytes).catch(() => {});
    if (this.fault.replyDelayMs > 0) setTimeout(send, this.fault.replyDelayMs);
    else send();
  }

  private execute(request: RtuSlaveRequest): Buffer {
    const { functionCode, start, value } = request;
    switch (functionCode) {
      case 0x01:
      case 0x02: {
        const table = functionCode === 0x01 ? this.coils : this.inputs;
        if (value < 1 || value > 2000) return exceptionReply(request, 3);
        if (start + value > table.length) return exceptionReply(request, 2);
        return bitsReply(this.address, functionCode, table.slice(start, start + value));
      }
      case 0x03: {
        if (value < 1 || value > 125) return exceptionReply(request, 3);
        const values: number[] = [];
        for (let r = start; r < start + value; r++) {
          const coil = r - PULSE_REGISTER_BASE;
          if (coil < 0 || coil >= this.coils.length) return exceptionReply(request, 2);
          values.push(this.remainingPulseUnits(coil));
        }
        return registersReply(this.address, values);
      }
      case 0x05: {
        if (start >= this.coils.length) return exceptionReply(request, 2);
        if (value !== 0xff00 && value !== 0x0000) return exceptionReply(request, 3);
        this.cancelPulse(start);
        this.setCoil(start, value === 0xff00, 'hold');
        return echoReply(request);
      }
      case 0x06: {
        const coil = start - PULSE_REGISTER_BASE;
        if (coil < 0 || coil >= this.coils.length) return exceptionReply(request, 2);
        this.startPulse(coil, value);
        return echoReply(request);
      }
      default:
        return exceptionReply(request, 1);
    }
  }

  private startPulse(coil: number, units: number): void {
    this.cancelPulse(coil);
    if (units === 0) {
      this.setCoil(coil, false, 'pulse');
      return;
    }
    const ms = units * PULSE_UNIT_MS;
    const timer = setTimeout(() => {
      this.pulseEnds.delete(coil);
      this.setCoil(coil, false, 'pulse');
    }, ms);
    this.pulseEnds.set(coil, { timer, endsAt: this.now() + ms });
    this.setCoil(coil, true, 'pulse');
  }

  private cancelPulse(coil: number): void {
    const pulse = this.pulseEnds.get(coil);
    if (!pulse) return;
    clearTimeout(pulse.timer);
    this.pulseEnds.delete(coil);
  }

  private remainingPulseUnits(coil: number): number {
    const pulse = this.pulseEnds.get(coil);
    return pulse ? Math.max(0, Math.ceil((pulse.endsAt - this.now()) / PULSE_UNIT_MS)) : 0;
  }

  private setCoil(coil: number, on: boolean, how: 'pulse' | 'hold'): void {
    const direction = this.directionOf(coil);
    const at = this.now();
    // A repeated pulse on an open relay still reports 'unlock': it is a new command the benchmark times.
    const changed = this.coils[coil] !== on;
    this.coils[coil] = on;
    if (direction === undefined) return;
    if (on && (changed || how === 'pulse')) this.emit('unlock', direction, at, how);
    else if (!on && changed) this.emit('lock', direction, at);
  }

  private directionOf(coil: number): Direction | undefined {
    if (coil === this.options.unlockCoil.in) return 'in';
    if (coil === this.options.unlockCoil.out) return 'out';
    return undefined;
  }
}
