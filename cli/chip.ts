// gate06 chip read: one ICAO 9303 read of a CCCD (or passport) chip on a PC/SC reader, for a site engineer
// checking a reader, a card or a trust store by hand: waits for a card, runs PACE or BAC, Chip or Active
// Authentication and the file reads (drivers/chip-pcsc), then passive authentication against the CSCA
// trust store exactly as `gate06 icao verify` loads it, and prints one JSON object. See docs/chip.md.
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { readChip } from '../drivers/chip-pcsc/icao/index.js';
import type { MrzKey } from '../drivers/chip-pcsc/icao/key-derivation.js';
import type { PresentedCard } from '../drivers/chip-pcsc/pcsc/index.js';
import { PCSC_NOT_INSTALLED } from '../drivers/chip-pcsc/pcsc/index.js';
import { parseReaderSelector } from '../drivers/chip-pcsc/pcsc/reader-selector.js';
import { PcscTransport } from '../drivers/chip-pcsc/pcsc/transport.js';
import { passiveAuthenticate } from '../gateway/credentials/icao/passive-auth.js';
import { loadTrustStore, type TrustStore } from '../gateway/credentials/icao/trust-store.js';
import { fail, ok, type Result } from '../gateway/reasons.js';
import { CHIP_READ_EXIT, noCardReport, shapeChipReport, summaryLine } from './chip-report.js';

const USAGE = `usage: gate06 chip read --reader NAME (--can DIGITS | --mrz DOCNO,YYMMDD,YYMMDD) [options]

Reads a chip on a PC/SC reader (pcscd) and says whether it is genuine: PACE (or BAC), Chip or Active
Authentication, the data groups, then passive authentication against the CSCA trust store.
  --reader NAME      the PC/SC reader: exact name, a glob ("ACS ACR1252*") or /regex/
  --can DIGITS       the 6-digit CAN: on a CCCD, the last 6 digits of the ID number (from the printed QR);
                     "--can -" reads it from stdin, which keeps it out of the process list
  --mrz DOC,BIRTH,EXPIRY
                     the BAC / PACE-MRZ key from the MRZ: document number (a CCCD's is the last 9 ID
                     digits), birth date and expiry date as YYMMDD; with --can it is the BAC fallback
  --trust PATH       a master list (.ml), a certificate (.der/.cer/.crt/.pem) or a folder of them
  --data-groups LIST data groups to read besides DG14/DG15 (default 1,2,13)
  --reveal           print the whole ID number, the name and the birth date (masked ID otherwise)
  --timeout S        seconds to wait for the reader and a card (default 30)

Prints one JSON object: verdict, reason, access, chipAuthentication, activeAuthentication,
passiveAuthentication { ok, reason }, dataGroups (numbers and sizes), holder (masked ID), apdus, bytes, ms.
The CAN and the MRZ key are never printed. Errors go to stderr as one line.

Exit codes:
  0  genuine: passive authentication ok, and Chip or Active Authentication passed
  1  read failed: no reader or card in time, the card left the field, a secure messaging error, bad data
  2  usage error (bad option, unreadable trust store)
  3  the data is genuine but the chip has neither Chip nor Active Authentication: a clone is not excluded
  4  access denied: the CAN or MRZ key does not open the chip
  5  clone suspected: Chip or Active Authentication failed
  6  passive authentication failed (bad signature, untrusted signer, a data group not matching the SOD)
  7  no --trust given: the chip was read, but its data cannot be shown genuine`;

const DEFAULT_TIMEOUT_S = 30;
const DEFAULT_DATA_GROUPS = [1, 2, 13];
/** The CAN read from stdin is one short line; anything longer is not a CAN. */
const MAX_CAN_INPUT_BYTES = 64;

class UsageError extends Error {}

interface ReadOptions {
  reader: string;
  can?: string;
  mrz?: MrzKey;
  trust?: TrustStore;
  dataGroups: number[];
  reveal: boolean;
  timeoutMs: number;
}

// The messages below never quote the CAN or the MRZ: they are keys to personal data.
function parseCan(text: string): string {
  if (!/^\d{6}$/.test(text)) throw new UsageError('--can must be the 6 digits of the CAN');
  return text;
}

const YYMMDD = /^\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;

function parseMrzKey(text: string): MrzKey {
  const [documentNumber, dateOfBirth, dateOfExpiry, ...rest] = text.split(',');
  if (rest.length > 0 || !documentNumber || !dateOfBirth || !dateOfExpiry)
    throw new UsageError('--mrz must be DOCNO,YYMMDD,YYMMDD');
  if (!/^[0-9A-Z<]{1,9}$/.test(documentNumber))
    throw new UsageError('--mrz: the document number must be 1 to 9 characters 0-9, A-Z or <');
  if (!YYMMDD.test(dateOfBirth) || !YYMMDD.test(dateOfExpiry))
    throw new UsageError('--mrz: birth and expiry dates must be YYMMDD');
  return { documentNumber, dateOfBirth, dateOfExpiry };
}

function parseDataGroups(text: string): number[] {
  const numbers = text.split(',').map((s) => Number(s.trim()));
  if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n < 1 || n > 16))
    throw new UsageError('--data-groups must be a comma-separated list of numbers 1..16');
  return [...new Set(numbers)];
}

async function readCanFromStdin(): Promise<string> {
  let input = '';
  for await (const chunk of process.stdin) {
    input += String(chunk);
    if (input.length > MAX_CAN_INPUT_BYTES) throw new UsageError('--can -: stdin holds more than a CAN');
  }
  return parseCan(input.trim());
}

async function parseReadOptions(argv: string[]): Promise<ReadOptions | 'help'> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reader: { type: 'string' },
      can: { type: 'string' },
      mrz: { type: 'string' },
      trust: { type: 'string' },
      'data-groups': { type: 'string' },
      reveal: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (!values.reader) throw new UsageError('--reader is required');
  const selector = parseReaderSelector(values.reader);
  if (!selector.ok) throw new UsageError(`--reader: ${selector.detail ?? selector.reason}`);
  if (values.can === undefined && values.mrz === undefined) throw new UsageError('--can or --mrz is required');
  const timeoutS = values.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 3600)
    throw new UsageError('--timeout must be a number of seconds between 0 and 3600');
  const options: ReadOptions = {
    reader: values.reader,
    dataGroups: values['data-groups'] ? parseDataGroups(values['data-groups']) : DEFAULT_DATA_GROUPS,
    reveal: values.reveal ?? false,
    timeoutMs: timeoutS * 1000,
  };
  if (values.can !== undefined) options.can = values.can === '-' ? await readCanFromStdin() : parseCan(values.can);
  if (values.mrz !== undefined) options.mrz = parseMrzKey(values.mrz);
  if (values.trust) {
    const trust = await loadTrustStore(values.trust);
    if (!trust.ok) throw new UsageError(`--trust: ${trust.detail ?? trust.reason}`);
    options.trust = trust.value;
  }
  return options;
}

/**
 * Waits for a card in the field of the selected reader. A reader that is not there yet may be plugged in
 * within the timeout, so only a PC/SC stack that cannot work at all ends the wait early.
 */
async function waitForCard(reader: PcscTransport, timeoutMs: number): Promise<Result<PresentedCard, string>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let lastDown: string | undefined;
  const onLink = (state: string, reason?: string): void => {
    if (state !== 'down') return;
    lastDown = reason;
    if (reason?.startsWith(PCSC_NOT_INSTALLED)) controller.abort();
  };
  reader.on('link', onLink);
  try {
    const inserted = once(reader, 'cardInserted', { signal: controller.signal });
    await reader.start();
    // A card already in the field is announced by the child right after it starts, or is here already.
    const card = reader.card ?? ((await inserted) as [PresentedCard])[0];
    inserted.catch(() => {});
    return ok(card);
  } catch {
    const seconds = Math.round(timeoutMs / 100) / 10;
    return fail('chip.read-failed', lastDown ?? `no card on the reader within ${seconds} s`);
  } finally {
    clearTimeout(timer);
    reader.off('link', onLink);
  }
}

async function read(options: ReadOptions): Promise<number> {
  const reader = new PcscTransport({ reader: options.reader });
  try {
    const waitStarted = performance.now();
    const presented = await waitForCard(reader, options.timeoutMs);
    const waitMs = performance.now() - waitStarted;
    if (!presented.ok) {
      const { report, exitCode } = noCardReport(
        reader.health().readerName ?? null,
        presented.detail ?? presented.reason,
        {
          waitForCard: waitMs,
        },
      );
      console.log(JSON.stringify(report));
      console.error(summaryLine(report));
      return exitCode;
    }
    const card = presented.value;
    const outcome = await readChip(card.channel, {
      ...(options.can ? { can: options.can } : {}),
      ...(options.mrz ? { mrz: options.mrz } : {}),
      dataGroups: options.dataGroups,
    });
    let passive: Parameters<typeof shapeChipReport>[0]['passive'];
    const ms: Record<string, number> = { waitForCard: waitMs };
    if (outcome.ok) {
      if (options.trust) {
        const started = performance.now();
        passive = passiveAuthenticate({
          sod: Buffer.from(outcome.value.sod),
          dataGroups: new Map([...outcome.value.dataGroups].map(([n, bytes]) => [n, Buffer.from(bytes)])),
          trust: options.trust,
          at: new Date(),
        });
        ms.passiveAuthentication = performance.now() - started;
      } else passive = 'no-trust-store';
    }
    const { report, exitCode } = shapeChipReport({
      readerName: card.readerName,
      outcome,
      ...(passive !== undefined ? { passive } : {}),
      ms,
      reveal: options.reveal,
    });
    console.log(JSON.stringify(report));
    if (exitCode !== CHIP_READ_EXIT.genuine) console.error(summaryLine(report));
    return exitCode;
  } finally {
    await reader.stop();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'read') {
      const options = await parseReadOptions(rest);
      if (options === 'help') {
        console.log(USAGE);
        return 0;
      }
      return await read(options);
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      console.log(USAGE);
      return 0;
    }
    throw new UsageError(command ? `unknown subcommand "${command}"` : 'missing subcommand (read)');
  } catch (e) {
    // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS code.
    const isParseError = e instanceof TypeError && String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS');
    if (e instanceof UsageError || isParseError) {
      // One line, and no long digit runs: parseArgs quotes stray arguments, which could be a CAN typed wrong.
      const message = (e as Error).message.replace(/\s*\n\s*/g, ' ').replace(/\d{4,}/g, '…');
      console.error(`gate06 chip: ${message} (gate06 chip read --help)`);
      return CHIP_READ_EXIT.usage;
    }
    throw e;
  }
}
