// One session's view of the card: sends commands plain or under secure messaging, counts APDUs and bytes,
// and turns transport and SM failures into the session's closed-set reasons.
import { type CardChannel, CardChannelError } from '../card-channel.js';
import { type CommandApdu, encodeApdu, type ResponseApdu, splitResponse, swHex } from './apdu.js';
import { abort, ChipSessionAbort } from './outcome.js';
import type { SecureMessaging } from './secure-messaging.js';

export class CardLink {
  apdus = 0;
  bytesSent = 0;
  bytesReceived = 0;
  private sm: SecureMessaging | null = null;
  /** Set by Chip Authentication: an SM failure on the next command means the chip lacks the DG14 key. */
  private provingNewKeys = false;

  constructor(private readonly channel: CardChannel) {}

  get extendedLength(): boolean {
    return this.channel.extendedLength;
  }

  get secured(): boolean {
    return this.sm !== null;
  }

  /** Starts secure messaging under new keys. `proving` marks keys the chip must now show it derived too. */
  useSecureMessaging(sm: SecureMessaging, proving = false): void {
    this.sm = sm;
    this.provingNewKeys = proving;
  }

  /** Sends without secure messaging, whatever the state (PACE and BAC steps). */
  async sendPlain(cmd: CommandApdu): Promise<ResponseApdu> {
    const raw = await this.transmit(encodeApdu(cmd));
    const response = splitResponse(raw);
    if (!response) return abort('chip.malformed', 'card response shorter than a status word');
    return response;
  }

  /** Sends under secure messaging once it is established, plain before. */
  async send(cmd: CommandApdu): Promise<ResponseApdu> {
    const sm = this.sm;
    if (!sm) return this.sendPlain(cmd);
    const raw = await this.transmit(await sm.protect(cmd));
    const outcome = await sm.unprotect(raw);
    if (!outcome.ok) {
      if (this.provingNewKeys)
        return abort(
          'chip.clone-suspected',
          `chip authentication: first command under the new keys failed (${outcome.detail})`,
        );
      return abort(
        outcome.reason === 'malformed' ? 'chip.malformed' : 'chip.sm-error',
        outcome.detail ?? outcome.reason,
      );
    }
    this.provingNewKeys = false;
    return outcome.value;
  }

  private async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.apdus++;
    this.bytesSent += apdu.length;
    let raw: Uint8Array;
    try {
      raw = await this.channel.transmit(apdu);
    } catch (error) {
      if (error instanceof ChipSessionAbort) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      if (error instanceof CardChannelError) {
        const flag = error.flags.removed
          ? 'card removed'
          : error.flags.readerGone
            ? 'reader gone'
            : error.flags.timeout
              ? 'timeout'
              : 'channel error';
        return abort('chip.removed', `${flag}: ${detail}`);
      }
      return abort('chip.removed', `transport failed: ${detail}`);
    }
    if (!(raw instanceof Uint8Array)) return abort('chip.malformed', 'transport returned no bytes');
    this.bytesReceived += raw.length;
    return raw;
  }
}

export const describeSw = (sw: number) => `SW ${swHex(sw)}`;
