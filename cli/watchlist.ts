// gate06 watchlist sign: the IOC's side of the watchlist. Reads ID numbers (one per line) on stdin, turns them
// into the site's keyed hashes, and prints a signed, versioned list for `watchlist.file` or `cmd/watchlist`.
// The raw IDs never leave this process: only their HMACs go into the document.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { keyedIdHash } from '../gateway/credentials/identity.js';
import { signWatchlist } from '../gateway/watchlist.js';

const HELP = `usage: gate06 watchlist sign --key IOC_PRIVATE_JWK --site SITE --version N (--site-key-env VAR | --site-key-file FILE) < ids.txt

Prints one compact JWS: the watchlist for SITE, version N (must be higher than the one the gateways hold).
The site key is the same secret as the gateways' site.idHashKey.`;

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'sign') {
    console.log(HELP);
    return verb === '--help' || verb === '-h' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      key: { type: 'string' },
      site: { type: 'string' },
      version: { type: 'string' },
      'site-key-env': { type: 'string' },
      'site-key-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const version = Number(values.version);
  const siteKey = values['site-key-env']
    ? process.env[values['site-key-env']]
    : values['site-key-file']
      ? readFileSync(values['site-key-file'], 'utf8').trim()
      : undefined;
  if (!values.key || !values.site || !Number.isInteger(version) || version < 0 || !siteKey) {
    console.error(`gate06 watchlist sign: --key, --site, --version and a site key are required\n\n${HELP}`);
    return 2;
  }
  const lines = readFileSync(0, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const bad = lines.findIndex((l) => !/^\d{12}$/.test(l));
  if (bad >= 0) {
    console.error(`gate06 watchlist sign: line ${bad + 1} is not a 12-digit ID number`);
    return 2;
  }
  const hashes = [...new Set(lines.map((id) => keyedIdHash(Buffer.from(siteKey, 'utf8'), id)))];
  console.log(signWatchlist(values.key, { version, site: values.site, issuedAt: Date.now(), hashes }));
  console.error(`signed version ${version} for ${values.site}: ${hashes.length} entries`);
  return 0;
}
