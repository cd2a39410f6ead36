// gate06 demo: the whole system on one machine with no setup: the gateway on simulated hardware (socat
// pseudo-terminals, or the in-process mock binding without socat), an MQTT broker (embedded unless MQTT_URL
// is set), the collector, and a stream of simulated people. First stdout line: READY {json}.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { composeGateway } from '../gateway/compose.js';
import { resolveSecret } from '../gateway/config/load.js';
import type { GatewayConfig } from '../gateway/config/schema.js';
import { issueTicket, loadIssuerKey } from '../gateway/credentials/ticket-issuer.js';
import type { Alarm, DecisionRecord } from '../gateway/events.js';
import { createLogger } from '../gateway/logger.js';
import { pcscUnavailableReason } from '../sim/devices/pcsc-availability.js';
import { VPCD_DEFAULT_PORT } from '../sim/devices/vpcd-card.js';
import { Crowd } from '../sim/people/crowd.js';
import { hasSocat } from '../sim/pty.js';
import { SimRig, type Transport } from '../sim/rig.js';
import { type DemoServices, startDemoServices } from './demo-services.js';
import { loadConfigOrReport } from './load-config.js';

const HELP = `usage: gate06 demo [--duration S] [--rate N] [--transport pty|mock] [--data-dir DIR] [--port N]

Runs the gateway on simulated hardware with simulated people, an MQTT broker (embedded unless MQTT_URL
is set) and the collector. Prints READY {json} first, one line per decision, and with --duration
SUMMARY {json} before exiting 0. Everything uses DEMO keys and SYNTHETIC people.

  --duration S      stop after S seconds (default: run until Ctrl-C)
  --rate N          people per minute across all lanes (default 60)
  --transport T     pty (socat pseudo-terminals, the real serial path) or mock (in-process); default pty when socat is installed
  --data-dir DIR    keep the databases here (default: a temp folder removed at exit)
  --port N          gateway HTTP port (default: any free port)
  --vpcd-slot N|off L2's chip reader on the PC/SC path through pcscd and this vpcd slot (default 0, when
                    pcscd and vsmartcard-vpcd are there); off keeps the serial chip reader
  --quiet           no per-decision lines`;

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DEMO_CONFIG = join(ROOT, 'seeds/demo/gateway.yaml');
const DEMO_GATE_KEYS = join(ROOT, 'seeds/demo/gate-keys/jwks.json');

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      rate: { type: 'string', default: '60' },
      transport: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'vpcd-slot': { type: 'string', default: '0' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const duration = values.duration !== undefined ? Number(values.duration) : undefined;
  const rate = Number(values.rate);
  if ((duration !== undefined && !(duration > 0)) || !(rate > 0)) {
    console.error('gate06 demo: --duration and --rate must be positive numbers');
    return 2;
  }
  let transport = (values.transport as Transport | undefined) ?? SimRig.defaultTransport();
  if (transport !== 'pty' && transport !== 'mock') {
    console.error('gate06 demo: --transport is pty or mock');
    return 2;
  }
  if (transport === 'pty' && !hasSocat()) {
    console.error(
      'gate06 demo: socat is not installed, so the simulated devices run in-process (mock binding). For the real serial path: apt-get install socat',
    );
    transport = 'mock';
  }
  const config = loadConfigOrReport(DEMO_CONFIG, 'demo config error');
  if (!config) return 2;
  const dataDir = values['data-dir'] ?? (await mkdtemp(join(tmpdir(), 'gate06-demo-')));
  const template: GatewayConfig = structuredClone(config);
  template.store.path = join(dataDir, 'gateway.db');
  if (values.port) template.http.port = Number(values.port);

  // Logs go to stderr so that stdout carries only READY, the decision lines and SUMMARY.
  const logger = createLogger(process.env.GATE06_LOG_LEVEL ?? template.log.level, pino.destination(2));
  const services: DemoServices = await startDemoServices({
    dataDir,
    logger,
    config: template,
    gateKeysFile: DEMO_GATE_KEYS,
  });
  if (template.mqtt && services.mqttUrl) template.mqtt.url = services.mqttUrl;

  const pcsc = pcscDemoLane(template, values['vpcd-slot']!);
  if (pcsc === 'bad-slot') {
    console.error('gate06 demo: --vpcd-slot is 0, 1 or off');
    return 2;
  }
  const rig = await SimRig.start(template, {
    transport,
    dir: join(dataDir, 'tty'),
    ...(pcsc.port !== undefined ? { vpcdPorts: [pcsc.port] } : {}),
  });
  const gateway = await composeGateway({ config: rig.config, logger, devices: rig.devices });
  const totals = {
    decisions: 0,
    allowed: 0,
    denied: {} as Record<string, number>,
    passages: 0,
    alarms: {} as Record<string, number>,
  };
  const print = (line: string) => {
    if (!values.quiet) console.log(line);
  };
  gateway.core.bus.on(totals, 'decision.made', (d: DecisionRecord) => {
    totals.decisions++;
    if (d.decision === 'allow') totals.allowed++;
    else totals.denied[d.reason] = (totals.denied[d.reason] ?? 0) + 1;
    print(formatDecision(d));
  });
  gateway.core.bus.on(totals, 'passage.seen', () => totals.passages++);
  gateway.core.bus.on(totals, 'alarm.raised', (a: Alarm) => {
    totals.alarms[a.kind] = (totals.alarms[a.kind] ?? 0) + 1;
    print(`${time(a.ts)}  ALARM ${a.kind}${a.lane ? ` on ${a.lane}` : ''}`);
  });
  await gateway.start();

  const issuer = loadIssuerKey(join(ROOT, 'seeds/issuer/demo-issuer.private.jwk.json'));
  const tryTicket = await issueTicket(issuer, {
    site: template.site.id,
    kind: 'day',
    tid: `DEMO-TRY-${Date.now().toString(36)}`,
    validFromMs: Date.now() - 60_000,
    validForMs: 24 * 3600_000,
  });
  const deviceToken = resolveSecret(template.http.deviceTokens[0]!).toString();
  const integrationToken = resolveSecret(template.http.integrationTokens[0]!).toString();
  const ready = {
    gatewayUrl: gateway.url,
    consoleUrl: `${gateway.url}/`,
    docsUrl: `${gateway.url}/docs`,
    deviceToken,
    integrationToken,
    /** The integration token under its former name, for scripts written against earlier demos. */
    staffToken: integrationToken,
    lanes: [...gateway.core.lanes.keys()],
    tryTicket,
    transport,
    mqttUrl: services.mqttUrl,
    collectorUrl: services.collectorUrl,
    collectorToken: services.collectorToken,
    dataDir,
    note: 'DEMO keys and SYNTHETIC people only',
  };
  console.log(`READY ${JSON.stringify(ready)}`);
  print(
    `# gate06 demo on ${transport === 'pty' ? 'socat pseudo-terminals' : 'the in-process mock binding'}; lanes ${ready.lanes.join(', ')}`,
  );
  print(
    `# try it: curl -s -X POST ${gateway.url}/v1/verify -H 'authorization: Bearer ${deviceToken}' -H 'content-type: application/json' -d '{"lane":"L1","credential":{"kind":"ticket","token":"${tryTicket}"}}'`,
  );
  print(`# ${pcsc.note}`);
  print(`# the entry log: curl -s ${gateway.url}/v1/events?limit=5 -H 'authorization: Bearer ${integrationToken}'`);
  print(`# the IOC dashboard: ${services.collectorUrl}/ (token ${services.collectorToken})`);
  if (services.mqttUrl)
    print(
      `# an IOC command (signed with the DEMO IOC key; the gate refuses unsigned ones): node bin/gate06.mjs cmd send --verb free-passage --site ${template.site.id} --gate ${template.gate.id} --lane L1 --key seeds/ioc/demo-ioc.private.jwk.json --url ${services.mqttUrl}`,
    );

  const crowd = new Crowd({
    rig,
    site: template.site.id,
    peoplePerMinute: rate,
    keys: {
      issuer,
      forger: loadIssuerKey(join(ROOT, 'seeds/issuer/demo-forger.private.jwk.json')),
      unknown: loadIssuerKey(join(ROOT, 'seeds/issuer/demo-unknown.private.jwk.json')),
    },
  });
  crowd.start();

  await new Promise<void>((resolve) => {
    const timer = duration !== undefined ? setTimeout(resolve, duration * 1000) : undefined;
    const onSignal = () => {
      if (timer) clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });

  await crowd.stop();
  // Let the last passages and timeouts land before the windows close.
  await new Promise((r) => setTimeout(r, 300));
  await gateway.stop();
  const collected = await services.summary();
  await rig.stop();
  await services.stop();
  const summary = {
    ...totals,
    deniedTotal: totals.decisions - totals.allowed,
    people: crowd.stats,
    collector: collected,
    transport,
  };
  console.log(`SUMMARY ${JSON.stringify(summary)}`);
  if (!values['data-dir']) await rm(dataDir, { recursive: true, force: true });
  return 0;
}

/**
 * L2's entry chip reader on the PC/SC path when pcscd + vpcd can run it (the same check the PC/SC tests
 * skip on): the simulated people then scan the CCCD QR and put the card on vpcd's reader. Otherwise the
 * serial chip reader stays, and the note says how to get the PC/SC path.
 */
function pcscDemoLane(config: GatewayConfig, slot: string): { port?: number; note: string } | 'bad-slot' {
  if (slot === 'off') return { note: 'L2 reads CCCD chips on the serial path (--vpcd-slot off)' };
  if (slot !== '0' && slot !== '1') return 'bad-slot';
  const entry = config.gate.lanes.find((l) => l.id === 'L2')?.entry;
  if (!entry) return { note: 'no L2 entry in the demo config: no chip lane' };
  const unavailable = pcscUnavailableReason();
  if (unavailable) return { note: `L2 reads CCCD chips on the serial path; for the PC/SC path, ${unavailable}` };
  entry.chipReader = { pcsc: { reader: `Virtual PCD 00 0${slot}`, extendedLength: 'auto' } };
  if (!entry.accepts.includes('chip')) entry.accepts.push('chip');
  return {
    port: VPCD_DEFAULT_PORT + Number(slot),
    note: `L2 entry reads CCCD chips over PC/SC (pcscd + vpcd reader "Virtual PCD 00 0${slot}"): QR scan first, then the card`,
  };
}

const time = (ts: number) => new Date(ts).toISOString().slice(11, 19);

function formatDecision(d: DecisionRecord): string {
  const who = d.idMasked ? ` ${d.idMasked}` : '';
  const verdict = d.decision === 'allow' ? 'ALLOW' : 'DENY ';
  return `${time(d.ts)}  ${d.lane} ${d.direction.padEnd(3)} ${d.credential.padEnd(7)} ${verdict} ${d.reason.padEnd(30)} ${d.latencyMs.toFixed(1).padStart(6)} ms${who}`;
}
