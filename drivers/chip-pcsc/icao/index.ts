// The ICAO 9303 chip session: the public face of drivers/chip-pcsc/icao.

export type { AccessKey, MrzKey } from './key-derivation.js';
export { CHIP_SESSION_REASONS, type ChipSessionReason, type SessionResult } from './outcome.js';
export {
  type AuthenticationOutcome,
  CCCD_CARD_ACCESS,
  type ChipReadout,
  type ChipSessionOptions,
  type ChipSessionOutcome,
  EMRTD_AID,
  readChip,
  type SessionMetrics,
} from './session.js';
