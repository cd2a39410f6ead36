// The seam between the ICAO 9303 session (which speaks ISO 7816-4 APDUs) and whatever carries them: a PC/SC
// reader through pcscd, or a simulated chip in the same process. Both sides of the seam are defined here so
// the session, the PC/SC transport and the simulated CCCD chip can be written and tested apart.

/** One card on one reader, seen as a channel of command APDUs and their responses. */
export interface CardChannel {
  /**
   * Sends one command APDU and resolves with the response data followed by SW1 SW2. Rejects with a
   * {@link CardChannelError} when the card left the field or the reader went away.
   */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /**
   * Whether the reader and card take extended-length APDUs (Lc/Le over 255/256 bytes). ACR1252U and Omnikey
   * 5022/5422 do; the ACR122U does not, so files are then read in chunks of at most 223 bytes under secure
   * messaging.
   */
  readonly extendedLength: boolean;
}

/** Flags callers test instead of parsing messages (node-serialport's style). */
export class CardChannelError extends Error {
  override readonly name = 'CardChannelError';
  constructor(
    message: string,
    readonly flags: { removed?: boolean; readerGone?: boolean; timeout?: boolean } = {},
  ) {
    super(message);
  }
}

/** The card's side, implemented by simulated chips and reachable in-process or through vpcd + pcscd. */
export interface CardBehaviour {
  /** Answer to reset, as the card would send it. */
  readonly atr: Uint8Array;
  powerOn(): void;
  powerOff(): void;
  reset(): void;
  /** Handles one command APDU; returns response data followed by SW1 SW2. Never throws on bad input. */
  process(apdu: Uint8Array): Uint8Array;
}
