// What every device driver reports about itself. A device is 'down' only after a bounded,
// configurable silence or a failed open: flapping on every missed poll was the OSDP lesson.
// The kinds, link states and timings below are the drivers' contract; the gateway's events and config use them.

export type DeviceKind = 'qr-scanner' | 'chip-reader' | 'turnstile' | 'camera';
export type LinkState = 'up' | 'down';

/** How every serial driver decides a device is down and how it backs off reopening (config `devices`). */
export interface DeviceTimings {
  /** A device is down only after this much silence. */
  offlineAfterMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

export interface DeviceHealth {
  kind: DeviceKind;
  path: string;
  state: LinkState;
  /** Wall-clock ms of the last byte or successful poll; 0 when never seen. */
  lastSeenAt: number;
  reconnects: number;
  /** Frames/replies rejected as malformed since start. */
  rejectedFrames: number;
  lastError?: string;
}

/** Lifecycle shared by every device adapter: start() connects (and keeps reconnecting), stop() releases the port. */
export interface Device {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): DeviceHealth;
}

/** Errors carry flags callers test instead of parsing messages (node-serialport's convention). */
export class DeviceError extends Error {
  constructor(
    message: string,
    readonly flags: { disconnected?: boolean; timeout?: boolean; canceled?: boolean } = {},
  ) {
    super(message);
    this.name = 'DeviceError';
  }
}
