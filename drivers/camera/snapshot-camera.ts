// A camera that serves one JPEG per HTTP GET (most IP cameras have such a URL). Simple and stateless:
// each snapshot is a fresh request, so a frame is never stale, at the cost of one round trip per frame.

import type { DeviceHealth } from '../device.js';
import { DeviceError } from '../device.js';
import { fetchJpeg } from './http-jpeg.js';
import type { Camera } from './index.js';
import { type LinkChangeListener, LinkHealth, redactUrl } from './link-health.js';

export interface SnapshotCameraOptions {
  url: string;
  timeoutMs?: number;
  maxFrameBytes?: number;
  /** Probe interval while nobody asks for frames, so a dead camera shows before a person is at the lane. 0 = no probing. */
  probeIntervalMs?: number;
  downAfterMs?: number;
  onLinkChange?: LinkChangeListener;
}

export const DEFAULT_MAX_FRAME_BYTES = 2 * 1024 * 1024;

export class SnapshotCamera implements Camera {
  private readonly health_: LinkHealth;
  private readonly timeoutMs: number;
  private readonly maxFrameBytes: number;
  private readonly probeIntervalMs: number;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopping = new AbortController();

  constructor(private readonly opts: SnapshotCameraOptions) {
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.probeIntervalMs = opts.probeIntervalMs ?? 5000;
    this.health_ = new LinkHealth(redactUrl(opts.url), opts.downAfterMs ?? 5000, opts.onLinkChange);
  }

  async start(): Promise<void> {
    this.stopping = new AbortController();
    await this.snapshot().catch(() => {}); // a camera that is down at start is reported, not fatal
    if (this.probeIntervalMs > 0) {
      this.probeTimer = setInterval(() => void this.snapshot().catch(() => {}), this.probeIntervalMs);
      this.probeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.stopping.abort();
  }

  health(): DeviceHealth {
    return this.health_.report();
  }

  async snapshot(): Promise<Buffer> {
    const r = await fetchJpeg(this.opts.url, {
      timeoutMs: this.timeoutMs,
      maxBytes: this.maxFrameBytes,
      signal: this.stopping.signal,
    });
    if (r.ok) {
      this.health_.seen();
      return r.value;
    }
    if (this.stopping.signal.aborted) throw new DeviceError('camera stopped', { canceled: true });
    if (r.reason === 'camera.not-jpeg' || r.reason === 'camera.frame-too-large')
      this.health_.rejected(`${r.reason}: ${r.detail}`);
    else this.health_.failed(`${r.reason}: ${r.detail}`);
    throw new DeviceError(`${r.reason}: ${r.detail}`, {
      timeout: r.reason === 'camera.timeout',
      disconnected: r.reason === 'camera.unreachable' || r.reason === 'camera.http-status',
    });
  }

  async burst(count: number, intervalMs: number): Promise<Buffer[]> {
    checkBurstArgs(count, intervalMs);
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const started = Date.now();
      frames.push(await this.snapshot());
      const wait = intervalMs - (Date.now() - started);
      if (i < count - 1 && wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    return frames;
  }
}

/** Bursts feed liveness: a few seconds of frames at most, never an unbounded recording. */
export function checkBurstArgs(count: number, intervalMs: number): void {
  if (!Number.isInteger(count) || count < 1 || count > 60) throw new TypeError('burst count must be an integer 1..60');
  if (!Number.isFinite(intervalMs) || intervalMs < 0 || intervalMs > 5000)
    throw new TypeError('burst intervalMs must be 0..5000');
}
