// Whether the real PC/SC stack is there for the tests that drive it. The check itself lives with the
// simulator (sim/devices/pcsc-availability.ts) because `gate06 demo` asks the same question; tests skip with
// the returned reason when something is missing.
import { PCSC_INSTALL_HINT, pcscUnavailableReason } from '../../sim/devices/pcsc-availability.js';

export { PCSC_INSTALL_HINT };

/** The first vpcd slot: reader "Virtual PCD 00 00", card port 35963 (0x8C7B in the reader.conf entry). */
export const VPCD_READER_NAME = 'Virtual PCD 00 00';

export const pcscSkipReason = (): string | false => pcscUnavailableReason();
