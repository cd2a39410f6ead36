// Joins CARD_DATA chunks back into one card body (PROTOCOL.md §3). Pure: one assembly per card presentation.
import { MAX_CARD_BYTES } from './card-body.js';

export type ChunkOutcome =
  | { kind: 'more' }
  | { kind: 'complete'; readId: number; body: Buffer }
  | { kind: 'ignored'; detail: string }
  | { kind: 'broken'; reason: 'out-of-order' | 'too-large'; detail: string };

interface Assembly {
  readId: number;
  chunks: Buffer[];
  received: number;
  /** Set once a chunk went missing: later chunks of this read are dropped without a second report. */
  broken: boolean;
}

export class CardAssembler {
  private current: Assembly | undefined;

  constructor(private readonly maxCardBytes = MAX_CARD_BYTES) {}

  /** The read in progress, if any. */
  get activeReadId(): number | undefined {
    return this.current && !this.current.broken ? this.current.readId : undefined;
  }

  start(readId: number): void {
    this.current = { readId, chunks: [], received: 0, broken: false };
  }

  /** Forgets the read in progress (card removed, reader error, link lost). */
  abandon(): void {
    this.current = undefined;
  }

  /** A chunk lost on the wire (a rejected frame) breaks the read in progress. */
  breakCurrent(): void {
    if (this.current) this.current.broken = true;
  }

  add(chunk: { readId: number; offset: number; final: boolean; data: Buffer }): ChunkOutcome {
    // A reader that skipped CARD_PRESENT (or whose CARD_PRESENT was lost) may still start at offset 0.
    if (!this.current || this.current.readId !== chunk.readId) {
      if (chunk.offset !== 0)
        return {
          kind: 'ignored',
          detail: `chunk of read ${chunk.readId} at offset ${chunk.offset} with no read started`,
        };
      this.start(chunk.readId);
    }
    const a = this.current as Assembly;
    if (a.broken) return { kind: 'ignored', detail: `read ${a.readId} already broken` };
    if (chunk.offset !== a.received) {
      a.broken = true;
      return {
        kind: 'broken',
        reason: 'out-of-order',
        detail: `chunk at offset ${chunk.offset}, expected ${a.received}`,
      };
    }
    if (a.received + chunk.data.length > this.maxCardBytes) {
      a.broken = true;
      return { kind: 'broken', reason: 'too-large', detail: `card body passes ${this.maxCardBytes} bytes` };
    }
    a.chunks.push(chunk.data);
    a.received += chunk.data.length;
    if (!chunk.final) return { kind: 'more' };
    this.current = undefined;
    return { kind: 'complete', readId: a.readId, body: Buffer.concat(a.chunks, a.received) };
  }
}
