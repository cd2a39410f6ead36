// A camera streaming MJPEG (multipart/x-mixed-replace) over HTTP. The stream is kept open and the
// latest frame cached, so a snapshot costs nothing and a burst for liveness gets real consecutive
// frames. A dropped or frozen stream is reopened with exponential backoff.

import type { DeviceHealth } from '../device.js';
import { DeviceError } from '../device.js';
import { describeFetchError } from './http-jpeg.js';
import type { Camera } from './index.js';
import { type LinkChangeListener, LinkHealth, redactUrl } from './link-health.js';
import { boundaryFromContentType, MjpegFramer } from './mjpeg-framing.js';
import { checkBurstArgs, DEFAULT_MAX_FRAME_BYTES } from './snapshot-camera.js';

export interface MjpegCameraOptions {
  url: string;
  /** How long to wait for the stream's headers, and for a fresh frame in snapshot(). */
  timeoutMs?: number;
  maxFrameBytes?: number;
  /** A cached frame older than this is not handed out as "the person at the lane now". */
  frameMaxAgeMs?: number;
  downAfterMs?: number;
  /** A stream that sends no byte for this long is treated as frozen and reopened. */
  stallMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  onLinkChange?: LinkChangeListener;
}

interface Frame {
  seq: number;
  at: number;
  jpeg: Buffer;
}

interface Waiter {
  afterSeq: number;
  notBefore: number;
  resolve: (f: Frame) => void;
}

export class MjpegCamera implements Camera {
  private readonly health_: LinkHealth;
  private readonly timeoutMs: number;
  private readonly maxFrameBytes: number;
  private readonly frameMaxAgeMs: number;
  private readonly stallMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private latest: Frame | null = null;
  private seq = 0;
  private waiters = new Set<Waiter>();
  private running = false;
  private current: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private silenceTimer: NodeJS.Timeout | undefined;
  private wakeBackoff: (() => void) | null = null;
  private streaming = false;

  constructor(private readonly opts: MjpegCameraOptions) {
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.frameMaxAgeMs = opts.frameMaxAgeMs ?? 500;
    this.stallMs = opts.stallMs ?? Math.max(2 * this.timeoutMs, 2000);
    this.backoff = opts.backoff ?? { initialMs: 250, maxMs: 10_000 };
    const downAfterMs = opts.downAfterMs ?? 5000;
    this.health_ = new LinkHealth(redactUrl(opts.url), downAfterMs, opts.onLinkChange);
  }

  /** Opens the stream and resolves after the first attempt, connected or not; reconnecting goes on. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((r) => (firstAttempt = r));
    this.loop = this.run(firstAttempt);
    this.silenceTimer = setInterval(() => this.health_.checkSilence(), Math.min(1000, this.opts.downAfterMs ?? 5000));
    this.silenceTimer.unref();
    await attempted;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.silenceTimer);
    this.current?.abort();
    this.wakeBackoff?.();
    // Shutdown must not hang on a socket that ignores the abort: wait for the loop, but not forever.
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((r) => (giveUp = setTimeout(r, 2000)))]);
    clearTimeout(giveUp);
    this.loop = null;
    this.waiters.clear();
  }

  health(): DeviceHealth {
    return this.health_.report();
  }

  async snapshot(): Promise<Buffer> {
    const f = this.fresh();
    if (f) return f.jpeg;
    return (await this.nextFrame(this.latest?.seq ?? 0, 0, this.timeoutMs)).jpeg;
  }

  async burst(count: number, intervalMs: number): Promise<Buffer[]> {
    checkBurstArgs(count, intervalMs);
    const out: Buffer[] = [];
    let prev = this.fresh() ?? (await this.nextFrame(this.latest?.seq ?? 0, 0, this.timeoutMs));
    out.push(prev.jpeg);
    while (out.length < count) {
      // Cameras deliver frames with jitter: accept one a little early rather than skip a whole frame period.
      prev = await this.nextFrame(prev.seq, prev.at + 0.8 * intervalMs, this.timeoutMs + intervalMs);
      out.push(prev.jpeg);
    }
    return out;
  }

  /** The cached frame if it is recent and the stream it came from is still open. */
  private fresh(): Frame | null {
    const f = this.latest;
    return f && this.streaming && Date.now() - f.at <= this.frameMaxAgeMs ? f : null;
  }

  private nextFrame(afterSeq: number, notBefore: number, timeoutMs: number): Promise<Frame> {
    if (!this.running) return Promise.reject(new DeviceError('camera not started', { canceled: true }));
    return new Promise<Frame>((resolve, reject) => {
      const waiter: Waiter = {
        afterSeq,
        notBefore,
        resolve: (f) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new DeviceError(`no frame from the camera within ${timeoutMs} ms`, {
            timeout: true,
            disconnected: !this.health_.isUp,
          }),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private deliver(jpeg: Buffer): void {
    const frame: Frame = { seq: ++this.seq, at: Date.now(), jpeg };
    this.latest = frame;
    this.health_.seen();
    for (const w of [...this.waiters]) if (frame.seq > w.afterSeq && frame.at >= w.notBefore) w.resolve(frame);
  }

  private async run(firstAttempt: () => void): Promise<void> {
    let delay = this.backoff.initialMs;
    let attempts = 0;
    while (this.running) {
      if (attempts++ > 0) this.health_.reconnected();
      const gotFrames = await this.streamOnce(firstAttempt);
      firstAttempt();
      if (!this.running) break;
      if (gotFrames) delay = this.backoff.initialMs;
      // Jitter spreads the reconnects of several lanes after a switch reboots.
      const wait = delay * (0.75 + 0.5 * Math.random());
      await new Promise<void>((r) => {
        const t = setTimeout(r, wait);
        this.wakeBackoff = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wakeBackoff = null;
      delay = Math.min(delay * 2, this.backoff.maxMs);
    }
  }

  /** One connection: returns whether any frame arrived. Never throws. */
  private async streamOnce(connected: () => void): Promise<boolean> {
    const ac = new AbortController();
    this.current = ac;
    let gotFrames = false;
    let stall: NodeJS.Timeout | undefined;
    const armStall = (ms: number, why: string): void => {
      clearTimeout(stall);
      stall = setTimeout(() => ac.abort(new Error(why)), ms);
    };
    try {
      armStall(this.timeoutMs, `no response within ${this.timeoutMs} ms`);
      const res = await fetch(this.opts.url, { signal: ac.signal, redirect: 'error' });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => {});
        this.health_.failed(`camera.http-status: HTTP ${res.status}`);
        return false;
      }
      const boundary = boundaryFromContentType(res.headers.get('content-type'));
      if (!boundary || !res.body) {
        await res.body?.cancel().catch(() => {});
        this.health_.failed('camera.not-mjpeg: response is not multipart/x-mixed-replace with a boundary');
        return false;
      }
      connected();
      this.streaming = true;
      const framer = new MjpegFramer({ boundary, maxFrameBytes: this.maxFrameBytes });
      armStall(this.stallMs, `stream stalled for ${this.stallMs} ms`);
      for await (const chunk of res.body) {
        armStall(this.stallMs, `stream stalled for ${this.stallMs} ms`);
        for (const ev of framer.push(chunk)) {
          if (ev.kind === 'frame') {
            gotFrames = true;
            this.deliver(ev.jpeg);
          } else if (ev.kind === 'rejected') this.health_.rejected(`${ev.reason}: ${ev.detail}`);
          else {
            await res.body.cancel().catch(() => {});
            this.health_.failed('camera.stream-ended: the camera closed the stream');
            return gotFrames;
          }
        }
      }
      this.health_.failed('camera.stream-ended: the connection closed');
    } catch (err) {
      if (this.running) {
        const why =
          ac.signal.aborted && ac.signal.reason instanceof Error ? ac.signal.reason.message : describeFetchError(err);
        this.health_.failed(`camera.unreachable: ${why}`);
      }
    } finally {
      this.streaming = false;
      clearTimeout(stall);
      if (this.current === ac) this.current = null;
    }
    return gotFrames;
  }
}
