// Reader pairing: which readers belong to which side of a lane, and how their reads combine into one
// presentation. A bound train ticket waits for its holder's CCCD (chip or QR) on the same side, and an ID
// card on a side that only takes tickets waits for the ticket it supports; the pair is decided together.
// A CCCD QR on a side with a PC/SC chip reader starts the chip read instead (pcsc-chip-flow.ts). Pure.
import type { SerialPortConfig } from '../../drivers/serial/config.js';
import {
  type CameraConfig,
  type Direction,
  isPcscChipReader,
  type LaneConfig,
  type LaneSide,
  type PcscChipReaderConfig,
} from '../config/schema.js';
import type { CredentialInput } from '../credentials/establish.js';

export const sideOf = (lane: LaneConfig, direction: Direction): LaneSide | undefined =>
  direction === 'in' ? lane.entry : lane.exit;

/** The devices of one side of a lane. A chip reader is a vendor's serial box or a PC/SC reader the gateway drives. */
export interface SideReaders {
  direction: Direction;
  side: LaneSide;
  qrScanner?: SerialPortConfig;
  chipReader?: { kind: 'serial'; port: SerialPortConfig } | { kind: 'pcsc'; reader: PcscChipReaderConfig['pcsc'] };
  camera?: CameraConfig;
}

/** Every configured side of a lane with its readers, entry first. */
export function laneReaders(lane: LaneConfig): SideReaders[] {
  const sides: SideReaders[] = [];
  for (const direction of ['in', 'out'] as const) {
    const side = sideOf(lane, direction);
    if (!side) continue;
    const chip = side.chipReader;
    sides.push({
      direction,
      side,
      ...(side.qrScanner ? { qrScanner: side.qrScanner } : {}),
      ...(chip
        ? {
            chipReader: isPcscChipReader(chip)
              ? { kind: 'pcsc' as const, reader: chip.pcsc }
              : { kind: 'serial' as const, port: chip },
          }
        : {}),
      ...(side.camera ? { camera: side.camera } : {}),
    });
  }
  return sides;
}

/**
 * A scanned CCCD QR on a side that accepts the chip and has a PC/SC reader is the start of a chip read (it
 * gives the CAN); anywhere else it is a credential of its own.
 */
export const scanStartsChipRead = (
  credential: CredentialInput,
  side: LaneSide | undefined,
  hasPcscReader: boolean,
): boolean => credential.kind === 'cccd-qr' && hasPcscReader && (side?.accepts.includes('chip') ?? false);

/** A credential presented at one side, and when (performance.now(), for the decision's latency). */
export interface Presentation {
  credential: CredentialInput;
  receivedAt: number;
}

/** A credential waiting for its partner until `expiresAt` (the lane's monotonic clock). */
export interface HeldPresentation extends Presentation {
  expiresAt: number;
}

export type Pairing =
  /** Decide now: alone, or with the held credential that completes it. `held` is what stays held on the side. */
  | {
      t: 'decide';
      credential: CredentialInput;
      supporting?: CredentialInput[];
      receivedAt: number;
      held: HeldPresentation | undefined;
    }
  /** Hold it (it replaces whatever was held) and wait for its partner. */
  | { t: 'hold'; held: HeldPresentation; waitingFor: 'id-card' | 'ticket' };

export interface PairingInput {
  /** What the side holds now, if anything. */
  held: HeldPresentation | undefined;
  presented: Presentation;
  side: LaneSide | undefined;
  /** For a ticket: it names its holder (`hid`), so it needs the holder's ID card. */
  ticketNamesHolder: boolean;
  now: number;
  windowMs: number;
}

export function pairPresentation(p: PairingInput): Pairing {
  const { held, presented, side } = p;
  const { credential } = presented;
  if (held && held.expiresAt > p.now && held.credential.kind !== credential.kind) {
    // The ticket opens; the ID card proves who holds it. The wait ran from the first of the two.
    const [primary, supporting] =
      credential.kind === 'ticket' ? [credential, held.credential] : [held.credential, credential];
    return { t: 'decide', credential: primary, supporting: [supporting], receivedAt: held.receivedAt, held: undefined };
  }
  const waitsForId = credential.kind === 'ticket' && p.ticketNamesHolder;
  const waitsForTicket =
    credential.kind !== 'ticket' &&
    side !== undefined &&
    !side.accepts.includes(credential.kind) &&
    side.accepts.includes('ticket');
  if (waitsForId || waitsForTicket)
    return {
      t: 'hold',
      held: { ...presented, expiresAt: p.now + p.windowMs },
      waitingFor: waitsForId ? 'id-card' : 'ticket',
    };
  return { t: 'decide', credential, receivedAt: presented.receivedAt, held };
}

/** A held credential whose partner did not come: decided alone once its window has passed. */
export const holdExpired = (held: HeldPresentation | undefined, now: number): held is HeldPresentation =>
  held !== undefined && held.expiresAt <= now;
