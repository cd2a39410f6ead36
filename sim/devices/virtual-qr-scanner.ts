// A simulated serial QR scanner: what a real one sends when something is scanned, optionally slowly
// (a 9600-baud scanner takes ~1 ms per byte) or mixed with line noise.
import type { ByteChannel } from '../../drivers/serial/link.js';

export type LineTerminator = 'CR' | 'LF' | 'CRLF';

export interface VirtualQrScannerOptions {
  terminator?: LineTerminator;
  /** > 0: write byte by byte with this delay between bytes. */
  slowByteDelayMs?: number;
}

const TERMINATOR_BYTES: Record<LineTerminator, Buffer> = {
  CR: Buffer.from([0x0d]),
  LF: Buffer.from([0x0a]),
  CRLF: Buffer.from([0x0d, 0x0a]),
};

export class VirtualQrScanner {
  private terminator: LineTerminator;
  private slowByteDelayMs: number;

  constructor(
    private readonly channel: ByteChannel,
    options: VirtualQrScannerOptions = {},
  ) {
    this.terminator = options.terminator ?? 'CR';
    this.slowByteDelayMs = options.slowByteDelayMs ?? 0;
  }

  /** Sends `text` as UTF-8 followed by the configured terminator, as one scan. */
  scan(text: string): Promise<void> {
    return this.send(Buffer.concat([Buffer.from(text, 'utf8'), TERMINATOR_BYTES[this.terminator]]));
  }

  /** Sends raw bytes as they are (noise, a half line, a wrongly configured scanner). */
  sendGarbage(bytes: Uint8Array): Promise<void> {
    return this.send(Buffer.from(bytes));
  }

  /** Byte-by-byte mode with `delayMs` between bytes; 0 sends each scan in one write. */
  setSlow(delayMs: number): void {
    this.slowByteDelayMs = delayMs;
  }

  setTerminator(terminator: LineTerminator): void {
    this.terminator = terminator;
  }

  private async send(bytes: Buffer): Promise<void> {
    if (this.slowByteDelayMs <= 0) {
      await this.channel.write(bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i++) {
      await this.channel.write(bytes.subarray(i, i + 1));
      if (i < bytes.length - 1) await new Promise((r) => setTimeout(r, this.slowByteDelayMs));
    }
  }
}
