// Link bookkeeping shared by the camera drivers. A camera is 'down' only after a bounded silence
// (downAfterMs) or when it has never answered: one missed frame must not flap the lane (OSDP lesson).

import type { DeviceHealth, LinkState } from '../device.js';

export type LinkChangeListener = (state: LinkState, reason?: string) => void;

export class LinkHealth {
  private state: LinkState = 'down';
  private lastSeenAt = 0;
  private reconnects = 0;
  private rejectedFrames = 0;
  private lastError: string | undefined;

  constructor(
    private readonly path: string,
    private readonly downAfterMs: number,
    private readonly onChange: LinkChangeListener = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  seen(): void {
    this.lastSeenAt = this.now();
    this.set('up');
  }

  failed(error: string): void {
    this.lastError = error;
    this.checkSilence(error);
  }

  /** Called on a timer: a link with no frame for downAfterMs goes down even when no error was seen. */
  checkSilence(reason = `no frame for ${this.downAfterMs} ms`): void {
    if (this.lastSeenAt === 0 || this.now() - this.lastSeenAt >= this.downAfterMs) this.set('down', reason);
  }

  reconnected(): void {
    this.reconnects++;
  }

  rejected(reason: string): void {
    this.rejectedFrames++;
    this.lastError = reason;
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  report(): DeviceHealth {
    return {
      kind: 'camera',
      path: this.path,
      state: this.state,
      lastSeenAt: this.lastSeenAt,
      reconnects: this.reconnects,
      rejectedFrames: this.rejectedFrames,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private set(state: LinkState, reason?: string): void {
    if (state === this.state) return;
    this.state = state;
    this.onChange(state, reason);
  }
}

/** The URL as shown in health and logs: credentials in a camera URL (rtsp-style user:pass@) are removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
