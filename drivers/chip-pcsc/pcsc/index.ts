// The PC/SC chip reader as the rest of the gateway sees it: a reader that comes and goes, cards that are
// presented and taken away, and for each card a CardChannel the ICAO session talks through. The native
// binding runs in a child process (transport.ts), so a crash in it costs a restart, not the daemon.
import type { EventEmitter } from 'node:events';
import type { BackoffPolicy } from '../../serial/backoff.js';
import type { CardChannel } from '../card-channel.js';

/** Same values as the gateway's LinkState; defined here because drivers do not import the gateway. */
export type PcscLinkState = 'up' | 'down';

export interface PcscHealth {
  kind: 'chip-pcsc';
  /** The reader selector from config (a name, glob or /regex/). */
  reader: string;
  /** The reader in use, once one matched. */
  readerName?: string;
  state: PcscLinkState;
  /** Wall-clock ms of the last message from the child; 0 when never. */
  lastSeenAt: number;
  /** Child processes started after the first (crashes, pcscd gone, wedged binding). */
  restarts: number;
  /** Messages from the child refused as malformed. */
  rejectedMessages: number;
  lastError?: string;
}

/** A card in the field of the selected reader. */
export interface PresentedCard {
  readerName: string;
  atr: Uint8Array;
  /** Valid until the card leaves; afterwards every transmit rejects with `removed: true`. */
  channel: CardChannel;
}

export interface PcscReaderEvents {
  /** 'up' once the child runs and a matching reader is attached; 'down' with the reason otherwise. */
  link: [state: PcscLinkState, reason?: string];
  readerAttached: [readerName: string];
  readerDetached: [readerName: string];
  cardInserted: [card: PresentedCard];
  cardRemoved: [readerName: string];
}

export interface PcscChipReader extends EventEmitter<PcscReaderEvents> {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): PcscHealth;
  /** The card now in the field, if any. */
  readonly card: PresentedCard | undefined;
}

export interface PcscReaderOptions {
  /** Exact reader name, a glob ("ACS ACR1252*") or a regex between slashes ("/ACS ACR1252/i"). */
  reader: string;
  /**
   * Whether to send extended-length APDUs: true/false from config, or 'auto' (the default) to decide per
   * card from the reader's name and the card's ATR (extended-length.ts).
   */
  extendedLength?: boolean | 'auto';
  /** A transmit not answered within this rejects with `timeout: true`. RSA active authentication takes ~1-2 s. */
  transmitTimeoutMs?: number;
  /** Delay between child restarts. */
  restart?: BackoffPolicy;
  /** Module the child loads; tests point it at a missing one to see the "not installed" error. */
  smartcardModule?: string;
  now?: () => number;
}

export const DEFAULT_TRANSMIT_TIMEOUT_MS = 5_000;
export const DEFAULT_RESTART: BackoffPolicy = { initialMs: 250, maxMs: 10_000 };
export const PCSC_NOT_INSTALLED =
  'PC/SC support not installed: apt-get install libpcsclite-dev pcscd, then npm rebuild smartcard';
