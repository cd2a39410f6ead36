// gate06 sim: simulated hardware for a gateway config (virtual devices on socat pseudo-terminals at the
// config's own device paths, plus simulated people), or `gate06 sim fleet` to load a broker like N gates.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadIssuerKey } from '../gateway/credentials/ticket-issuer.js';
import { Crowd } from '../sim/people/crowd.js';
import { hasSocat, SOCAT_MISSING } from '../sim/pty.js';
import { SimRig } from '../sim/rig.js';
import { loadConfigOrReport } from './load-config.js';

const HELP = `usage: gate06 sim -c GATEWAY_CONFIG [--rate N] [--duration S]
       gate06 sim fleet --help
       gate06 sim chip --help   (a simulated CCCD chip behind pcscd's virtual reader)

Creates a socat pseudo-terminal at every device path the gateway config names (so point the config at
paths you may create, e.g. /tmp/gate06-sim/L1-qr-in), runs a virtual device on the far end of each,
and sends simulated people (SYNTHETIC, DEMO-signed tickets) to the lanes. Start the gateway with the
same config in another terminal: gate06 gateway -c GATEWAY_CONFIG.

  -c, --config FILE   the gateway config whose devices to simulate
  --rate N            people per minute (default 30; 0 = devices only, no people)
  --duration S        stop after S seconds (default: until Ctrl-C)`;

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'fleet') return (await import('./fleet.js')).run(argv.slice(1));
  if (argv[0] === 'chip') return (await import('./sim-chip.js')).run(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      rate: { type: 'string', default: '30' },
      duration: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.config) {
    console.error(`gate06 sim: -c FILE is required\n\n${HELP}`);
    return 2;
  }
  if (!hasSocat()) {
    console.error(`gate06 sim: ${SOCAT_MISSING}`);
    return 2;
  }
  const config = loadConfigOrReport(values.config);
  if (!config) return 2;
  const rig = await SimRig.start(config, {
    transport: 'pty',
    dir: join(tmpdir(), `gate06-sim-${process.pid}`),
    keepPaths: true,
  });
  const rate = Number(values.rate);
  const crowd =
    rate > 0
      ? new Crowd({
          rig,
          site: config.site.id,
          peoplePerMinute: rate,
          keys: {
            issuer: loadIssuerKey(join(ROOT, 'seeds/issuer/demo-issuer.private.jwk.json')),
            forger: loadIssuerKey(join(ROOT, 'seeds/issuer/demo-forger.private.jwk.json')),
            unknown: loadIssuerKey(join(ROOT, 'seeds/issuer/demo-unknown.private.jwk.json')),
          },
          onPerson: (p) => console.log(JSON.stringify({ person: p })),
        })
      : undefined;
  console.log(`simulating ${rig.lanes.size} lane(s): ${[...rig.lanes.keys()].join(', ')}`);
  crowd?.start();
  await new Promise<void>((resolve) => {
    const t = values.duration ? setTimeout(resolve, Number(values.duration) * 1000) : undefined;
    const stop = () => {
      if (t) clearTimeout(t);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await crowd?.stop();
  await rig.stop();
  console.log(JSON.stringify({ stats: crowd?.stats ?? null }));
  return 0;
}
