// What a failed transmit means for the caller. The `smartcard` binding (3.7) rejects with the text of the
// PC/SC status and no numeric code, so its texts are mapped here (src/pcsc_errors.h of the binding).
// A card that fails mid-exchange is, for the ICAO session, a card to present again: contactless chips that
// leave the field surface as "removed", "reset", "unpowered", "no smart card", "transaction failed" or a
// communication error, depending on the reader and the moment. The reader or pcscd going away is different:
// presenting the card again will not help until the reader is back.
import type { CardChannelError } from '../card-channel.js';

const READER_GONE = [
  'Reader unavailable',
  'Unknown reader',
  'PC/SC service not running',
  'PC/SC service stopped',
  'No readers available',
  'Invalid handle',
];
const CARD_GONE = [
  'Card was removed',
  'Card was reset',
  'Card is unpowered',
  'No smart card present',
  'Transaction failed',
  'Communication error',
  'Card is unresponsive',
];

export function classifyTransmitFailure(message: string): CardChannelError['flags'] {
  if (READER_GONE.some((text) => message.includes(text))) return { readerGone: true };
  if (CARD_GONE.some((text) => message.includes(text))) return { removed: true };
  if (message.includes('Operation timed out')) return { timeout: true };
  return {};
}
