// gate06 cmd send: the IOC's side of a command, for operators and tests. Builds the command JSON, signs it
// with the IOC's private key (gateway/telemetry/sign-command.ts) and publishes it once, QoS 1, not retained.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { GateTopics, topicFor } from '../contracts/topics.js';
import { COMMAND_VERBS, type CommandVerb } from '../gateway/telemetry/commands.js';
import { loadCommandSigningKey, signCommand } from '../gateway/telemetry/sign-command.js';

const HELP = `usage: gate06 cmd send --verb VERB --site S --gate G --key IOC_PRIVATE_JWK [options]

Publishes one signed IOC command per lane (or one, for verbs without a lane) to gate06/v1/S/G/cmd/VERB.
Gates refuse unsigned commands; the DEMO key is seeds/ioc/demo-ioc.private.jwk.json (trusted by the demo).

  --verb VERB        free-passage | resend | watchlist
  --lane L           free-passage: the lane (repeat for several)
  --off              free-passage: end free passage (default: start it)
  --reason TEXT      free-passage: why, kept in the gate's event log (default "IOC command")
  --since MS|ISO     resend: windows starting at or after this time (default 0: all kept)
  --jws-file F       watchlist: the signed list from \`gate06 watchlist sign\`
  --ttl S            seconds until the command expires (default 60)
  --url URL          broker (default $MQTT_URL, else mqtt://127.0.0.1:1883)`;

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'send') {
    console.log(HELP);
    return action === '--help' || action === '-h' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      verb: { type: 'string' },
      site: { type: 'string' },
      gate: { type: 'string' },
      lane: { type: 'string', multiple: true },
      off: { type: 'boolean' },
      reason: { type: 'string', default: 'IOC command' },
      since: { type: 'string', default: '0' },
      'jws-file': { type: 'string' },
      ttl: { type: 'string', default: '60' },
      key: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const verb = values.verb as CommandVerb;
  const ttlMs = Number(values.ttl) * 1000;
  if (!COMMAND_VERBS.includes(verb) || !values.site || !values.gate || !values.key || !(ttlMs > 0)) {
    console.error(`gate06 cmd send: --verb, --site, --gate and --key are required\n\n${HELP}`);
    return 2;
  }
  const expiresAt = Date.now() + ttlMs;
  const base = () => ({ id: randomUUID(), expiresAt, issuedAt: Date.now() });
  let commands: object[];
  if (verb === 'free-passage') {
    if (!values.lane?.length) {
      console.error('gate06 cmd send: free-passage needs --lane');
      return 2;
    }
    commands = values.lane.map((lane) => ({ ...base(), lane, on: !values.off, reason: values.reason }));
  } else if (verb === 'resend') {
    const since = /^\d+$/.test(values.since) ? Number(values.since) : Date.parse(values.since);
    if (!Number.isFinite(since)) {
      console.error('gate06 cmd send: --since is epoch ms or an ISO time');
      return 2;
    }
    commands = [{ ...base(), since }];
  } else {
    if (!values['jws-file']) {
      console.error('gate06 cmd send: watchlist needs --jws-file');
      return 2;
    }
    commands = [{ ...base(), jws: readFileSync(values['jws-file'], 'utf8').trim() }];
  }
  const topic = topicFor(values.site, values.gate, `cmd/${verb}`);
  // Checked here as the gate will check it, so a typo fails on the sender's side with the field named.
  for (const c of commands) {
    const checked = GateTopics[`cmd/${verb}`].safeParse(c);
    if (!checked.success) {
      console.error(
        `gate06 cmd send: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      return 2;
    }
  }
  const signer = loadCommandSigningKey(values.key);
  const client = await mqtt.connectAsync(values.url ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883', {
    protocolVersion: 4,
    clientId: `gate06-cmd-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  try {
    for (const c of commands) {
      await client.publishAsync(topic, signCommand(signer, topic, c), { qos: 1, retain: false });
      console.log(`sent ${verb} ${(c as { id: string }).id} to ${topic}`);
    }
  } finally {
    await client.endAsync();
  }
  return 0;
}
