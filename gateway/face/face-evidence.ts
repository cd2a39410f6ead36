// The pictures behind a face decision (the lane camera's frame and the reference photo it was matched
// against), for a security officer who reviews the decision soon after. Held in memory only, for a short
// time and a bounded number of decisions: never written to the event log, the disk or a backup. An event
// carries only the random key (`faceEvidence`), which means nothing once the pictures are gone.
import { randomBytes } from 'node:crypto';

export interface FacePictures {
  /** The frame the match used (JPEG from the camera, or the still sent with the request). */
  live: Buffer;
  /** The chip photo (DG2) it was matched against; none for enrolled people, whose photos are never kept. */
  reference?: Buffer;
}

export interface FaceEvidenceOptions {
  /** How long pictures stay reviewable: long enough to look at a denial that just happened. */
  keepMs?: number;
  /** At most this many decisions' pictures; the oldest go first. 2 × ~100 KB each: a few MB at most. */
  maxDecisions?: number;
  /**
   * Monotonic ms (performance.now() by default): keepMs is a duration. On the wall clock a step back would keep
   * the pictures of people longer than keepMs, a step forward would drop them before the officer looks.
   */
  monotonicNow?: () => number;
}

export class FaceEvidence {
  private readonly kept = new Map<string, FacePictures & { at: number }>();
  private readonly keepMs: number;
  private readonly maxDecisions: number;
  private readonly monotonicNow: () => number;

  constructor(opts: FaceEvidenceOptions = {}) {
    this.keepMs = opts.keepMs ?? 15 * 60_000;
    this.maxDecisions = opts.maxDecisions ?? 50;
    this.monotonicNow = opts.monotonicNow ?? (() => performance.now());
  }

  /** Keeps the pictures and returns the key the decision's facts carry. */
  keep(pictures: FacePictures): string {
    this.forgetExpired();
    const key = randomBytes(12).toString('hex');
    this.kept.set(key, { ...pictures, at: this.monotonicNow() });
    while (this.kept.size > this.maxDecisions) this.kept.delete(this.kept.keys().next().value!);
    return key;
  }

  /** The pictures under `key`, or null once they were dropped (expired, crowded out, or a restart). */
  get(key: string): FacePictures | null {
    this.forgetExpired();
    const e = this.kept.get(key);
    return e ? { live: e.live, ...(e.reference ? { reference: e.reference } : {}) } : null;
  }

  get size(): number {
    return this.kept.size;
  }

  private forgetExpired(): void {
    const oldest = this.monotonicNow() - this.keepMs;
    // Insertion order is time order: stop at the first one still young enough.
    for (const [key, e] of this.kept) {
      if (e.at > oldest) break;
      this.kept.delete(key);
    }
  }
}

/** The image type by its first bytes, for the content-type header; null for what a browser cannot show (JPEG 2000). */
export function imageType(bytes: Buffer): 'image/jpeg' | 'image/png' | null {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  return null;
}
