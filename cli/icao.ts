// gate06 icao verify: passive authentication of an EF.SOD (and the data groups read with it)
// against a CSCA trust store, for operators checking a card or a new master list by hand.
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { passiveAuthenticate } from '../gateway/credentials/icao/passive-auth.js';
import { loadTrustStore } from '../gateway/credentials/icao/trust-store.js';

const USAGE = `usage: gate06 icao verify --sod FILE --trust PATH [--dg N=FILE ...] [--at ISO-DATE]

Passive authentication (ICAO 9303-11) of an EF.SOD against a CSCA trust store.
  --sod FILE       EF.SOD as read from the chip (tag 0x77)
  --trust PATH     a master list (.ml), a certificate (.der/.cer/.crt/.pem) or a folder of them
  --dg N=FILE      a data group read from the chip, whole file incl. tag and length (repeatable)
  --at ISO-DATE    the time to check validity at (default: now)

Prints one JSON line { ok, steps, signer, csca, hashAlgorithm, dataGroups, failure? }.
Exit code: 0 verified, 1 verification failed, 2 usage or input error.`;

/** Chip files are small; refuse anything that could not have come from a chip. */
const MAX_INPUT_BYTES = 1024 * 1024;

class UsageError extends Error {}

async function readInput(path: string, what: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new UsageError(`${what}: cannot read ${path}`);
  }
  if (size > MAX_INPUT_BYTES) throw new UsageError(`${what}: ${path} is ${size} bytes, more than any chip file`);
  return readFile(path);
}

async function verify(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sod: { type: 'string' },
      trust: { type: 'string' },
      dg: { type: 'string', multiple: true },
      at: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.sod) throw new UsageError('--sod is required');
  if (!values.trust) throw new UsageError('--trust is required');
  const at = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(at.getTime())) throw new UsageError(`--at ${values.at} is not a date`);

  const dataGroups = new Map<number, Buffer>();
  for (const spec of values.dg ?? []) {
    const m = spec.match(/^(\d{1,2})=(.+)$/);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 16)
      throw new UsageError(`--dg ${spec}: expected N=FILE with N in 1..16`);
    if (dataGroups.has(Number(m[1]))) throw new UsageError(`--dg ${m[1]} given twice`);
    dataGroups.set(Number(m[1]), await readInput(m[2], `--dg ${m[1]}`));
  }
  const sod = await readInput(values.sod, '--sod');
  const trust = await loadTrustStore(values.trust);
  if (!trust.ok) throw new UsageError(`--trust: ${trust.detail ?? trust.reason}`);

  const result = passiveAuthenticate({ sod, dataGroups, trust: trust.value, at });
  const { ok, steps, signer, csca, hashAlgorithm, dataGroups: dgStatus, failure } = result;
  console.log(
    JSON.stringify({ ok, steps, signer, csca, hashAlgorithm, dataGroups: dgStatus, ...(failure ? { failure } : {}) }),
  );
  return ok ? 0 : 1;
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'verify') return await verify(rest);
    if (command === '--help' || command === '-h' || command === 'help') {
      console.log(USAGE);
      return 0;
    }
    throw new UsageError(command ? `unknown subcommand "${command}"` : 'missing subcommand');
  } catch (e) {
    // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS code.
    const isParseError = e instanceof TypeError && String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS');
    if (e instanceof UsageError || isParseError) {
      console.error(`gate06 icao: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}
