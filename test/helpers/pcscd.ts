// Whether the real PC/SC stack is there for the tests that drive it. The check itself lives with the
// simulator (sim/devices/pcsc-availability.ts) because `gate06 demo` asks the same question; tests skip with
// the returned reason when something is missing.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PCSC_INSTALL_HINT, pcscUnavailableReason } from '../../sim/devices/pcsc-availability.js';

export { PCSC_INSTALL_HINT };

/** The first vpcd slot: reader "Virtual PCD 00 00", card port 35963 (0x8C7B in the reader.conf entry). */
export const VPCD_READER_NAME = 'Virtual PCD 00 00';

export const pcscSkipReason = (): string | false => pcscUnavailableReason();

/**
 * Takes one vpcd slot for this test file, waiting while another file holds it. Tap runs files in parallel, and
 * two cards on one slot (or two readers on one vpcd driver: its slots are shared by every reader.conf entry)
 * mix their APDUs. The lock is a directory that holds the owner's pid; one whose owner died is taken over.
 * Resolves with the function that gives the slot back.
 */
export async function holdVpcdSlot(slot: 0 | 1, waitMs = 15 * 60_000): Promise<() => void> {
  const lock = join(tmpdir(), `gate06-vpcd-slot-${slot}.lock`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!ownerAlive(lock)) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`vpcd slot ${slot} still held by another test after ${waitMs} ms`);
    else await new Promise((r) => setTimeout(r, 250));
  }
}

function ownerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // Just made, pid not written yet: treat as alive; a lock left without a pid is old enough to check by age.
    try {
      return Date.now() - statSync(lock).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
