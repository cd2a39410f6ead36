// A gate camera as the face pipeline sees it: single snapshots and short bursts for liveness.
import type { Device } from '../device.js';

export interface Camera extends Device {
  /** One JPEG frame. Rejects with a DeviceError on timeout or a broken stream. */
  snapshot(): Promise<Buffer>;
  /** `count` frames spaced about `intervalMs` apart, for the multi-frame liveness check. */
  burst(count: number, intervalMs: number): Promise<Buffer[]>;
}
