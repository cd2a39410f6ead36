// The QR scanner as the rest of the gateway sees it.
import type { EventEmitter } from 'node:events';
import type { Device, LinkState } from '../device.js';

export type QrRejectReason =
  | 'frame.too-long'
  | 'frame.timeout'
  | 'frame.bad-utf8'
  | 'frame.empty'
  | 'frame.control-chars';

export interface QrScannerEvents {
  /** One decoded scan: valid UTF-8, no CR/LF, at most maxLength characters. */
  scan: [text: string, receivedAt: number];
  /** Bytes that did not make a scan; logged and counted, never passed on. */
  rejected: [reason: QrRejectReason, byteCount: number];
  link: [state: LinkState, reason?: string];
}

export interface QrScanner extends Device, EventEmitter<QrScannerEvents> {}
