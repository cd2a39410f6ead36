// gate06 ticket issue: makes demo and test tickets. Real tickets come from the site's ticketing system.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TicketClaims } from '../gateway/credentials/ticket.js';
import { issueTicket, loadIssuerKey } from '../gateway/credentials/ticket-issuer.js';

const DEMO_KEY = fileURLToPath(new URL('../seeds/issuer/demo-issuer.private.jwk.json', import.meta.url));
const HELP = `usage: gate06 ticket issue --site SITE [options]

Prints one compact JWS ticket (EdDSA/Ed25519) on stdout. Without --key it signs with the DEMO key
in seeds/issuer/ (marked as such): good for the demo and tests, never for a real site.

  --site SITE        site id the ticket is for (required)
  --kind KIND        single | day | multi | train | worker (default single)
  --valid DURATION   validity from now, e.g. 90m, 12h, 7d (default 12h)
  --from ISO         start of validity (default now)
  --uses N           entries allowed (default: 1 for single/train, unlimited for day/worker)
  --holder-id ID     bind the ticket to this 12-digit ID (stored as a salted hash, not the ID)
  --train NO         train number for --kind train (with --dep ISO, --route FROM-TO)
  --tid ID           ticket id (default random)
  --key FILE         issuer private JWK (default: the DEMO key)`;

export function parseDuration(s: string): number | null {
  const m = /^(\d+)(s|m|h|d)$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'issue') {
    console.log(HELP);
    return verb === '--help' || verb === '-h' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      site: { type: 'string' },
      kind: { type: 'string', default: 'single' },
      valid: { type: 'string', default: '12h' },
      from: { type: 'string' },
      uses: { type: 'string' },
      'holder-id': { type: 'string' },
      train: { type: 'string' },
      dep: { type: 'string' },
      route: { type: 'string' },
      tid: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const errors: string[] = [];
  const kind = TicketClaims.shape.kind.safeParse(values.kind);
  const validFor = parseDuration(values.valid!);
  const from = values.from ? Date.parse(values.from) : Date.now();
  const uses = values.uses !== undefined ? Number(values.uses) : undefined;
  if (!values.site) errors.push('--site is required');
  if (!kind.success) errors.push('--kind must be single, day, multi, train or worker');
  if (validFor === null) errors.push('--valid must look like 90m, 12h or 7d');
  if (Number.isNaN(from)) errors.push('--from must be an ISO date');
  if (uses !== undefined && !(Number.isInteger(uses) && uses > 0)) errors.push('--uses must be a positive integer');
  if (values['holder-id'] && !/^\d{12}$/.test(values['holder-id'])) errors.push('--holder-id must be 12 digits');
  if (errors.length) {
    for (const e of errors) console.error(`gate06 ticket issue: ${e}`);
    return 2;
  }
  const [routeFrom, routeTo] = (values.route ?? '-').split('-');
  const ticket = await issueTicket(loadIssuerKey(values.key ?? DEMO_KEY), {
    site: values.site!,
    kind: kind.data!,
    tid: values.tid ?? `T-${randomUUID()}`,
    validFromMs: from,
    validForMs: validFor!,
    uses,
    holderId: values['holder-id'],
    train: values.train
      ? {
          no: values.train,
          dep: Math.floor(Date.parse(values.dep ?? new Date(from).toISOString()) / 1000),
          from: routeFrom ?? '',
          to: routeTo ?? '',
        }
      : undefined,
  });
  if (!values.key) console.error('note: signed with the DEMO key (seeds/issuer) - not for production');
  console.log(ticket);
  return 0;
}
