// Whether the real PC/SC stack is there for whatever drives it through the simulator (the PC/SC tests,
// `gate06 demo`): pcscd running, vsmartcard's vpcd driver configured (it gives pcscd a "Virtual PCD" reader
// whose card is a TCP client on 127.0.0.1:35963), and the smartcard binding built. The check only looks at
// files, so it never inserts a card by probing vpcd's port.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const PCSC_INSTALL_HINT =
  'apt-get install pcscd vsmartcard-vpcd libpcsclite-dev, start pcscd (`pcscd`), then npm rebuild smartcard';

const PCSCD_PID_FILE = '/run/pcscd/pcscd.pid';
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const VPCD_READER_CONF = '/etc/reader.conf.d/vpcd';

/** Why the PC/SC path through pcscd + vpcd cannot run here, with what to install; false when it can. */
export function pcscUnavailableReason(): string | false {
  const missing = missingPieces();
  return missing.length === 0 ? false : `real PC/SC not usable (${missing.join('; ')}): ${PCSC_INSTALL_HINT}`;
}

function missingPieces(): string[] {
  const missing: string[] = [];
  try {
    const entry = createRequire(import.meta.url).resolve('smartcard');
    // dist/lib/index.js -> ../../build/Release/smartcard_napi.node
    if (!existsSync(join(dirname(entry), '..', '..', 'build', 'Release', 'smartcard_napi.node'))) {
      missing.push('the smartcard native module is not built');
    }
  } catch {
    missing.push('the smartcard package is not installed');
  }
  if (!existsSync(VPCD_READER_CONF)) missing.push(`no ${VPCD_READER_CONF} (vsmartcard-vpcd)`);
  if (!existsSync(PCSCD_SOCKET) || !pcscdAlive()) missing.push('pcscd is not running');
  return missing;
}

function pcscdAlive(): boolean {
  try {
    // pcscd writes the pid followed by a newline and a NUL byte.
    const pid = Number.parseInt(readFileSync(PCSCD_PID_FILE, 'utf8'), 10);
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
