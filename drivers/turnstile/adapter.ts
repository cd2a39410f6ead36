// The turnstile's relay/IO board over Modbus RTU (protocol in BOARD.md): timed unlock pulses,
// free passage, and edges of the passage, alarm and fire inputs found by polling.
import { EventEmitter } from 'node:events';
import type { Direction } from '../../contracts/direction.js';
import type { DeviceTimings } from '../device.js';
import { DeviceError, type DeviceHealth } from '../device.js';
import { SerialConnection } from '../serial/connection.js';
import { openSerialPort, type PortOpener } from '../serial/link.js';
import type { TurnstileConfig } from './config.js';
import type { Turnstile, TurnstileEvents } from './index.js';
import {
  ALL_INACTIVE,
  type InputSnapshot,
  type InputWindow,
  inputEdges,
  inputWindow,
  snapshotFromBits,
} from './inputs.js';
import { FunctionCode, type RtuRequest, readBitsRequest, writeCoilRequest, writeRegisterRequest } from './rtu.js';
import { RtuMaster } from './rtu-master.js';

/** Holding register `PULSE_REGISTER_BASE + coil` closes that relay for value × PULSE_UNIT_MS (BOARD.md). */
export const PULSE_REGISTER_BASE = 0x0200;
export const PULSE_UNIT_MS = 100;
/** Boards answer within a few ms; 150 ms covers a slow 9600-baud board and still fails an unlock quickly. */
export const DEFAULT_REPLY_TIMEOUT_MS = 150;

/** Pulse length in board units, rounded up so the gate is never open for less than asked. */
export function pulseUnits(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`pulse length must be a positive number of ms, got ${ms}`);
  return Math.min(0xffff, Math.ceil(ms / PULSE_UNIT_MS));
}

export interface ModbusTurnstileOptions {
  config: TurnstileConfig;
  devices: DeviceTimings;
  opener?: PortOpener;
  now?: () => number;
  replyTimeoutMs?: number;
}

export class ModbusTurnstile extends EventEmitter<TurnstileEvents> implements Turnstile {
  private readonly connection: SerialConnection;
  private readonly master: RtuMaster;
  private readonly window: InputWindow;
  private readonly pollRequest: RtuRequest;
  private readonly now: () => number;
  private inputs: InputSnapshot = ALL_INACTIVE;
  private running = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollInFlight = false;

  constructor(private readonly options: ModbusTurnstileOptions) {
    super();
    const { config, devices } = options;
    for (const direction of ['in', 'out'] as const) {
      if (PULSE_REGISTER_BASE + config.unlockCoil[direction] > 0xffff) {
        throw new RangeError(
          `unlockCoil.${direction} ${config.unlockCoil[direction]} has no pulse register (max coil ${0xffff - PULSE_REGISTER_BASE})`,
        );
      }
    }
    this.now = options.now ?? Date.now;
    this.window = inputWindow(config.inputs);
    this.pollRequest = readBitsRequest(
      config.address,
      FunctionCode.readDiscreteInputs,
      this.window.start,
      this.window.count,
    );
    this.connection = new SerialConnection({
      kind: 'turnstile',
      port: config.port,
      opener: options.opener ?? openSerialPort,
      reconnect: { initialMs: devices.reconnectInitialMs, maxMs: devices.reconnectMaxMs },
      // The board is polled: missed replies for offlineAfterMs take it down, even with the port open.
      liveness: { kind: 'replies', offlineAfterMs: devices.offlineAfterMs },
      now: this.now,
    });
    this.master = new RtuMaster({
      write: (bytes) => this.connection.write(bytes),
      replyTimeoutMs: options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
      onRejectedReply: (reason, detail) => this.connection.countRejected(detail ? `${reason}: ${detail}` : reason),
    });
    this.connection.on('data', (bytes) => this.master.feed(bytes));
    this.connection.on('opened', () => this.schedulePoll(0));
    this.connection.on('closed', (reason) => this.master.abortAll(reason));
    this.connection.on('link', (state, reason) => {
      if (reason === undefined) this.emit('link', state);
      else this.emit('link', state, reason);
    });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.connection.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.master.abortAll('stopped');
    await this.connection.stop();
  }

  health(): DeviceHealth {
    return this.connection.health();
  }

  async pulseUnlock(direction: Direction, ms: number): Promise<void> {
    const register = PULSE_REGISTER_BASE + this.options.config.unlockCoil[direction];
    await this.command(
      writeRegisterRequest(this.options.config.address, register, pulseUnits(ms)),
      `unlock ${direction}`,
    );
  }

  async setFreePassage(open: boolean): Promise<void> {
    const { address, unlockCoil } = this.options.config;
    // Both queued at once: they go out back to back, ahead of any poll.
    await Promise.all([
      this.command(writeCoilRequest(address, unlockCoil.in, open), `free passage ${open ? 'on' : 'off'} (in)`),
      this.command(writeCoilRequest(address, unlockCoil.out, open), `free passage ${open ? 'on' : 'off'} (out)`),
    ]);
  }

  // Writes are idempotent (a coil state, a pulse length), so one resend after a lost or garbled reply is
  // safe: at worst a pulse restarts a few ms later.
  private async command(request: RtuRequest, what: string): Promise<void> {
    const outcome = await this.master.request(request, 'command', 1);
    if (outcome.ok) {
      this.connection.markSeen();
      return;
    }
    this.connection.noteError(`${what}: ${outcome.reason}`);
    throw new DeviceError(`${what} failed: ${outcome.reason}${outcome.detail ? ` (${outcome.detail})` : ''}`, {
      disconnected: outcome.reason === 'rtu.disconnected',
      timeout: outcome.reason === 'rtu.timeout',
    });
  }

  private schedulePoll(delayMs: number): void {
    if (!this.running || this.pollInFlight) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.pollOnce(), delayMs);
  }

  private async pollOnce(): Promise<void> {
    this.pollTimer = undefined;
    if (!this.running || !this.connection.isOpen) return; // resumed by 'opened'
    this.pollInFlight = true;
    const outcome = await this.master.request(this.pollRequest, 'poll');
    this.pollInFlight = false;
    if (!this.running) return;
    if (outcome.ok && outcome.value.kind === 'bits') {
      this.connection.markSeen();
      this.applyInputs(snapshotFromBits(this.options.config.inputs, this.window, outcome.value.bits));
    } else if (!outcome.ok) {
      this.connection.noteError(`poll: ${outcome.reason}`);
    }
    if (this.connection.isOpen) this.schedulePoll(this.options.config.pollIntervalMs);
  }

  private applyInputs(next: InputSnapshot): void {
    const edges = inputEdges(this.inputs, next);
    this.inputs = next;
    if (edges.length === 0) return;
    const at = this.now();
    for (const edge of edges) {
      if (edge.kind === 'passage') this.emit('passage', edge.direction, edge.active, at);
      else if (edge.kind === 'alarm') this.emit('alarm', edge.active, at);
      else this.emit('fireAlarm', edge.active, at);
    }
  }
}
