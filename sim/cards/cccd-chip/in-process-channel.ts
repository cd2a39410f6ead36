// A CardChannel to a simulated card in the same process, with the faults of a real field: the card leaving
// after N APDUs (CardChannelError with `removed`), and a reader that takes short APDUs only.
import { type CardBehaviour, type CardChannel, CardChannelError } from '../../../drivers/chip-pcsc/card-channel.js';
import { isExtendedApdu } from './command-apdu.js';

export interface InProcessChannelOptions {
  /** Whether the simulated reader takes extended-length APDUs (ACR1252U, Omnikey 5022) or not (ACR122U). */
  extendedLength?: boolean;
  /** The card leaves the field after this many APDUs have been answered. */
  removeAfterApdus?: number;
}

export class InProcessCardChannel implements CardChannel {
  readonly extendedLength: boolean;
  /** Every APDU sent, in order (for transcripts and assertions). */
  readonly sent: Uint8Array[] = [];
  /** Every response returned, in order. */
  readonly received: Uint8Array[] = [];
  private removeAfter: number | undefined;
  private present = true;

  constructor(
    private readonly card: CardBehaviour,
    options: InProcessChannelOptions = {},
  ) {
    this.extendedLength = options.extendedLength ?? true;
    this.removeAfter = options.removeAfterApdus;
    card.powerOn();
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.removeAfter !== undefined && this.sent.length >= this.removeAfter) this.present = false;
    if (!this.present) throw new CardChannelError('card removed from the field', { removed: true });
    this.sent.push(Uint8Array.from(apdu));
    // A short-only reader cannot carry an extended APDU; the card sees a wrong length.
    const response = !this.extendedLength && isExtendedApdu(apdu) ? Uint8Array.of(0x67, 0x00) : this.card.process(apdu);
    this.received.push(response);
    return response;
  }

  /** The card is presented again: powered up from scratch, no removal pending. */
  reinsert(): void {
    this.removeAfter = undefined;
    this.present = true;
    this.card.powerOn();
  }
}
