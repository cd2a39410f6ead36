// The byte transport every serial driver talks through. Real ports, socat pseudo-terminals and the
// in-process mock binding all come out of a PortOpener as the same SerialLink, so an adapter under
// test runs exactly the code it runs on a gate box.
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import type { SerialPortStream } from '@serialport/stream';
import { SerialPort, SerialPortMock } from 'serialport';
import { DeviceError } from '../device.js';
import type { SerialPortConfig } from './config.js';

export interface SerialLinkEvents {
  data: [bytes: Buffer];
  /** The port is gone (unplugged, closed, failed). Emitted once; the link is unusable afterwards. */
  lost: [reason: string];
}

/** One open port. It never reopens itself: SerialConnection owns reconnects. */
export interface SerialLink extends EventEmitter<SerialLinkEvents> {
  readonly path: string;
  /** Resolves once the bytes were handed to the OS (or the mock binding); rejects when the port is gone. */
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Something bytes can be written to and read from; what the simulator's virtual devices take. */
export interface ByteChannel {
  write(bytes: Uint8Array): Promise<void>;
  on(event: 'data', listener: (bytes: Buffer) => void): unknown;
  off(event: 'data', listener: (bytes: Buffer) => void): unknown;
}

export type PortOpener = (port: SerialPortConfig) => Promise<SerialLink>;

// The real and the mock binding give streams of different binding types; the link treats both alike.
// biome-ignore lint/suspicious/noExplicitAny: the binding type parameter differs between SerialPort and SerialPortMock
type AnyPortStream = SerialPortStream<any>;

/** Wraps a node-serialport stream (real or mock): both have the same stream API over different bindings. */
class StreamSerialLink extends EventEmitter<SerialLinkEvents> implements SerialLink {
  private gone = false;
  private presenceTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly stream: AnyPortStream,
    presence?: DevicePresence,
  ) {
    super();
    if (presence) this.watchPresence(presence);
    stream.on('data', (bytes: Buffer) => this.emit('data', bytes));
    stream.on('close', (err: Error | null) => this.markLost(err ? err.message : 'port closed'));
    // Any stream error leaves the port in an unknown state: treat it as lost and let the owner reopen it.
    stream.on('error', (err: Error) => {
      this.markLost(err.message);
      if (stream.isOpen) stream.close(() => {});
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    // The stream would queue writes on a closed port until it reopens; a gate command must fail fast instead.
    if (this.gone || !this.stream.isOpen) {
      return Promise.reject(new DeviceError(`${this.path}: port is not open`, { disconnected: true }));
    }
    return new Promise((resolve, reject) => {
      this.stream.write(bytes, (err) =>
        err ? reject(new DeviceError(`${this.path}: write failed: ${err.message}`, { disconnected: true })) : resolve(),
      );
    });
  }

  close(): Promise<void> {
    this.gone = true;
    clearInterval(this.presenceTimer);
    this.stream.removeAllListeners('data');
    if (!this.stream.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.stream.close(() => resolve()));
  }

  private markLost(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    clearInterval(this.presenceTimer);
    this.emit('lost', reason);
  }

  // A port that only reads never learns that its device vanished: @serialport/bindings-cpp 13 retries a
  // 0-byte read forever, and 0 bytes is what a pty returns once socat (its master) is gone. So the device
  // node itself is watched: gone, or replaced by another device on the same path, means the link is lost.
  private watchPresence({ intervalMs, rdev }: DevicePresence): void {
    this.presenceTimer = setInterval(() => {
      stat(this.path).then(
        (now) => {
          if (now.rdev !== rdev) this.lostAndClosed('device node replaced');
        },
        () => this.lostAndClosed('device node vanished'),
      );
    }, intervalMs);
    this.presenceTimer.unref();
  }

  private lostAndClosed(reason: string): void {
    if (this.gone) return;
    this.markLost(reason);
    if (this.stream.isOpen) this.stream.close(() => {});
  }
}

interface DevicePresence {
  intervalMs: number;
  /** Device number of the node when it was opened. */
  rdev: number;
}

/** How often an open port checks that its device node still exists (cheap: one stat). */
export const PRESENCE_CHECK_MS = 250;

function openStream(stream: AnyPortStream, path: string, presence?: DevicePresence): Promise<SerialLink> {
  return new Promise((resolve, reject) => {
    stream.once('open', () => resolve(new StreamSerialLink(path, stream, presence)));
    stream.once('error', (err: Error) => {
      if (!stream.isOpen) reject(new DeviceError(`${path}: ${err.message}`, { disconnected: true }));
    });
    stream.open();
  });
}

/** Opens a real serial port (a USB adapter, an RS-485 dongle or a socat pty). */
export const openSerialPort: PortOpener = async (cfg) => {
  const node = await stat(cfg.path).catch((err: Error) => {
    throw new DeviceError(`${cfg.path}: ${err.message}`, { disconnected: true });
  });
  const stream = new SerialPort({ path: cfg.path, baudRate: cfg.baudRate, autoOpen: false });
  return openStream(stream, cfg.path, { intervalMs: PRESENCE_CHECK_MS, rdev: node.rdev });
};

/**
 * Opens a port on node-serialport's mock binding. The path must exist first
 * (`SerialPortMock.binding.createPort`); `onOpened` lets the simulator attach the device end.
 */
export function mockPortOpener(onOpened?: (port: SerialPortMock) => void): PortOpener {
  return async (cfg) => {
    const stream = new SerialPortMock({ path: cfg.path, baudRate: cfg.baudRate, autoOpen: false });
    const link = await openStream(stream, cfg.path);
    onOpened?.(stream);
    return link;
  };
}
