// The chip reader module (does BAC/PACE itself, hands over raw files) as the rest of the gateway sees it.
import type { EventEmitter } from 'node:events';
import type { Device, LinkState } from '../device.js';

export interface ChipRead {
  /** Raw files as read from the chip, each including its own tag and length. */
  com?: Buffer;
  sod: Buffer;
  /** Data group number → raw bytes (1, 2, 13 normally; 14 and 15 when the card has them). */
  dataGroups: Map<number, Buffer>;
}

export type ChipReadError =
  | 'read-failed'
  | 'access-denied'
  | 'card-removed'
  | 'frame.corrupt'
  | 'frame.truncated'
  | 'frame.too-long';

export interface ChipReaderEvents {
  card: [read: ChipRead, receivedAt: number];
  readError: [error: ChipReadError, detail: string];
  link: [state: LinkState, reason?: string];
}

export interface ChipReader extends Device, EventEmitter<ChipReaderEvents> {}
