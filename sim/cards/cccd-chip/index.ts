// The simulated CCCD chip and its in-process channel.
export { CccdChip, type CccdChipOptions } from './cccd-chip.js';
export { InProcessCardChannel, type InProcessChannelOptions } from './in-process-channel.js';
