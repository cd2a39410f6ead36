// The fleet simulator: many gate boxes as real MQTT clients, each publishing what a gate publishes to the
// IOC (retained status with a last will, per-minute count windows, the odd alarm, a health report), with a
// summary of exactly what was sent so a test or benchmark can compare it with what the collector stored.
//
// One MQTT connection per gate is the default, as in the field; it is what gives each gate its own last
// will. 1,000 connections from one process worked against both Mosquitto 2 and embedded aedes on the 2-core
// development box (bench/collector.ts). `clients` below the gate count makes each connection publish for
// several gates (fewer sockets, but then only the connection's first gate has a last will).
//
// Every gate signs what it publishes (docs/mqtt/README.md, "Signed publications") with its own Ed25519 key.
// The keys are DEMO keys derived from the fleet's seed and the gate's name (fleetSigningKey), so a collector
// started before the fleet, or in another process, gets the matching registry from fleetKeysJwks with the
// same options. Anyone who knows the seed can derive them: never a way to make keys for real gates.
import { createHash, createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { createPublicationSigner, gatePublicJwk } from '../contracts/publication-signature.js';
import { type GatePayload, topicFor } from '../contracts/topics.js';
import { seededRandom } from './random.js';

export interface FleetOptions {
  mqttUrl: string;
  gates: number;
  lanesPerGate?: number;
  /** count windows each gate publishes */
  windows?: number;
  /** wall time between rounds of windows; 0 publishes as fast as the broker takes them */
  publishIntervalMs?: number;
  /** the window length written in the payloads (a gate closes one window a minute) */
  windowLengthMs?: number;
  /** first window start; default: `windows` minutes before now, on a minute boundary */
  firstWindowStart?: number;
  /** site ids are `${sitePrefix}-s{n}`; make it unique per test run */
  sitePrefix?: string;
  sites?: number;
  clients?: number;
  /** chance per gate and window of an alarm */
  alarmRate?: number;
  seed?: number;
  /** the gates' DEMO signing keys are derived from this (default "gate06-fleet-DEMO") */
  keySeed?: string;
  /** MQTT 3.1.1 by default: every broker speaks it (aedes has no MQTT 5) */
  protocolVersion?: 4 | 5;
  /** Called after each round (statuses, each window, health) is acknowledged by the broker, with the number of
   * messages published so far; the next round waits for it. The benchmark uses it to let a consumer catch up,
   * because a default Mosquitto drops QoS 1 messages beyond 1,000 queued for one subscriber (max_queued_messages). */
  afterRound?: (publishedSoFar: number) => Promise<void>;
}

export interface InOutDenied {
  in: number;
  out: number;
  denied: number;
}

export interface FleetSummary {
  gates: number;
  lanesPerGate: number;
  windows: number;
  clients: number;
  sites: string[];
  firstWindowStart: number;
  windowLengthMs: number;
  messages: { status: number; counts: number; alarms: number; health: number; total: number };
  totals: InOutDenied;
  /** key `site/gate/lane` */
  perLane: Record<string, InOutDenied>;
  alarmIds: string[];
  publishMs: number;
}

export interface FleetRun {
  summary: FleetSummary;
  /** the registry a collector needs for this fleet (kid site/gate), as for gates.keysFile */
  jwks: { keys: Record<string, unknown>[] };
  /** graceful: publish retained offline and disconnect; drop: cut the sockets so the broker sends the wills; clear: also delete the retained status/health */
  close(mode?: 'graceful' | 'drop' | 'clear'): Promise<void>;
}

interface SimGate {
  site: string;
  gate: string;
  bootId: string;
  seq: number;
  /** one link (MQTT connection) per run: the fleet does not reconnect with a new will */
  link: string;
  sign: (topic: string, json: string) => string;
}

const DEFAULT_KEY_SEED = 'gate06-fleet-DEMO';
// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): the fixed DER prefix, then the seed.
const ED25519_PKCS8_PREFIX = Buffer.from([
  ...[0x30, 0x2e], // SEQUENCE, 46 bytes
  ...[0x02, 0x01, 0x00], // INTEGER 0 (version)
  ...[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70], // SEQUENCE { OID 1.3.101.112 (Ed25519) }
  ...[0x04, 0x22, 0x04, 0x20], // OCTET STRING { OCTET STRING, 32 bytes: the seed follows }
]);

/** A simulated gate's DEMO signing key: Ed25519 from sha256(seed, site, gate), the same in every process. */
export function fleetSigningKey(site: string, gate: string, keySeed = DEFAULT_KEY_SEED): KeyObject {
  const seed = createHash('sha256').update(`${keySeed}\u0000${site}/${gate}`).digest();
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** Site and gate names of a fleet; needs sitePrefix to be the same as the run's. */
export function fleetLayout(o: Pick<FleetOptions, 'gates' | 'sites' | 'sitePrefix'>): { site: string; gate: string }[] {
  const sitesN = Math.max(1, Math.min(o.sites ?? Math.ceil(o.gates / 10), o.gates));
  const prefix = o.sitePrefix ?? `fleet-${randomBytes(3).toString('hex')}`;
  return Array.from({ length: o.gates }, (_, i) => ({
    site: `${prefix}-s${i % sitesN}`,
    gate: `g${String(i).padStart(4, '0')}`,
  }));
}

/** The collector's registry for a fleet run with these options (set sitePrefix, or use FleetRun.jwks). */
export function fleetKeysJwks(o: Pick<FleetOptions, 'gates' | 'sites' | 'sitePrefix' | 'keySeed'>): {
  keys: Record<string, unknown>[];
} {
  return {
    keys: fleetLayout(o).map(({ site, gate }) => gatePublicJwk(site, gate, fleetSigningKey(site, gate, o.keySeed))),
  };
}

const ALARM_KINDS = ['forced-passage', 'tailgating', 'door-held', 'anti-passback'] as const;

/** One lane's window: 25–40 people a minute pass a busy lane; about 3 % of attempts are denied. */
export function laneWindow(
  rand: () => number,
  lane: string,
  windowLengthMs: number,
): GatePayload<'counts'>['lanes'][number] {
  const perMinute = 25 + Math.floor(rand() * 16);
  const passed = Math.round((perMinute * windowLengthMs) / 60_000);
  const inn = Math.round(passed * (0.45 + rand() * 0.2));
  const out = passed - inn;
  const denied = Math.floor(passed * 0.06 * rand());
  const ticket = Math.round(passed * 0.6);
  const qr = Math.round((passed - ticket) * 0.7);
  // zod 4 records keyed by an enum are exhaustive: the topic map needs every credential kind present.
  return {
    lane,
    in: inn,
    out,
    denied,
    byCredential: { ticket, 'cccd-qr': qr, chip: passed - ticket - qr, 'free-passage': 0, manual: 0, forced: 0 },
  };
}

export async function runFleet(o: FleetOptions): Promise<FleetRun> {
  const lanesPerGate = o.lanesPerGate ?? 2;
  const windows = o.windows ?? 5;
  const windowLengthMs = o.windowLengthMs ?? 60_000;
  const prefix = o.sitePrefix ?? `fleet-${randomBytes(3).toString('hex')}`;
  const layout = fleetLayout({ ...o, sitePrefix: prefix });
  const clientsN = Math.max(1, Math.min(o.clients ?? o.gates, o.gates));
  const rand = seededRandom(o.seed ?? 6);
  const firstWindowStart = o.firstWindowStart ?? Math.floor(Date.now() / 60_000) * 60_000 - windows * windowLengthMs;
  const alarmRate = o.alarmRate ?? 0.01;
  const version = o.protocolVersion ?? 4;

  const gates: SimGate[] = layout.map(({ site, gate }) => {
    const signer = createPublicationSigner(site, gate, fleetSigningKey(site, gate, o.keySeed));
    return {
      site,
      gate,
      bootId: randomBytes(6).toString('hex'),
      seq: 1,
      link: randomBytes(6).toString('hex'),
      sign: signer.sign,
    };
  });
  const jwks = fleetKeysJwks({ ...o, sitePrefix: prefix });
  const owner = (i: number): number => i % clientsN;
  const summary: FleetSummary = {
    gates: o.gates,
    lanesPerGate,
    windows,
    clients: clientsN,
    sites: [...new Set(gates.map((g) => g.site))].sort(),
    firstWindowStart,
    windowLengthMs,
    messages: { status: 0, counts: 0, alarms: 0, health: 0, total: 0 },
    totals: { in: 0, out: 0, denied: 0 },
    perLane: {},
    alarmIds: [],
    publishMs: 0,
  };

  // Connect in waves of 100: a thousand simultaneous TLS-less CONNECTs still queue in the broker's accept backlog.
  const clients: MqttClient[] = [];
  for (let c = 0; c < clientsN; c += 100) {
    const wave = [];
    for (let k = c; k < Math.min(c + 100, clientsN); k++) {
      const g = gates[k]!; // client k's first gate is gate k
      const willTopic = topicFor(g.site, g.gate, 'status');
      wave.push(
        mqtt.connectAsync(o.mqttUrl, {
          protocolVersion: version,
          clientId: `${prefix}-c${k}`,
          clean: true,
          reconnectPeriod: 1000,
          connectTimeout: 30_000,
          will: {
            topic: willTopic,
            payload: Buffer.from(
              g.sign(willTopic, JSON.stringify({ state: 'offline', bootId: g.bootId, link: g.link, ts: Date.now() })),
            ),
            qos: 1,
            retain: true,
          },
        }),
      );
    }
    clients.push(...(await Promise.all(wave)));
  }

  const started = Date.now();
  const publish = (i: number, topic: string, payload: object, retain = false): Promise<unknown> =>
    clients[owner(i)]!.publishAsync(topic, gates[i]!.sign(topic, JSON.stringify(payload)), { qos: 1, retain });

  await Promise.all(
    gates.map((g, i) =>
      publish(
        i,
        topicFor(g.site, g.gate, 'status'),
        { state: 'online', bootId: g.bootId, version: 'fleet-sim', ts: Date.now(), link: g.link },
        true,
      ),
    ),
  );
  summary.messages.status += gates.length;
  const sent = (): number =>
    summary.messages.status + summary.messages.counts + summary.messages.alarms + summary.messages.health;
  await o.afterRound?.(sent());

  for (let w = 0; w < windows; w++) {
    const windowStart = firstWindowStart + w * windowLengthMs;
    let round: Promise<unknown>[] = [];
    for (let i = 0; i < gates.length; i++) {
      const g = gates[i]!;
      const lanes = Array.from({ length: lanesPerGate }, (_, l) => laneWindow(rand, `L${l + 1}`, windowLengthMs));
      const zoneIn = lanes.reduce((s, l) => s + l.in, 0);
      const zoneOut = lanes.reduce((s, l) => s + l.out, 0);
      const payload: GatePayload<'counts'> = {
        schema: 1,
        site: g.site,
        gate: g.gate,
        bootId: g.bootId,
        seq: g.seq++,
        windowStart,
        windowEnd: windowStart + windowLengthMs,
        zones: [{ zone: 'main', in: zoneIn, out: zoneOut }],
        lanes,
      };
      for (const l of lanes) {
        const key = `${g.site}/${g.gate}/${l.lane}`;
        const t = (summary.perLane[key] ??= { in: 0, out: 0, denied: 0 });
        t.in += l.in;
        t.out += l.out;
        t.denied += l.denied;
        summary.totals.in += l.in;
        summary.totals.out += l.out;
        summary.totals.denied += l.denied;
      }
      round.push(publish(i, topicFor(g.site, g.gate, 'counts'), payload));
      summary.messages.counts++;
      if (rand() < alarmRate) {
        const id = `${g.gate}-${g.bootId}-${g.seq}`;
        const alarm: GatePayload<'alarms'> = {
          id,
          kind: ALARM_KINDS[Math.floor(rand() * ALARM_KINDS.length)]!,
          lane: 'L1',
          ts: windowStart + Math.floor(rand() * windowLengthMs),
        };
        round.push(publish(i, topicFor(g.site, g.gate, 'alarms'), alarm));
        summary.messages.alarms++;
        summary.alarmIds.push(`${g.site}/${g.gate}/${id}`);
      }
      // At most ~200 publishes in flight: aedes overflows its stack when thousands are emitted in one tick.
      if (round.length >= 200) {
        await Promise.all(round);
        round = [];
      }
    }
    await Promise.all(round);
    await o.afterRound?.(sent());
    if (o.publishIntervalMs && w < windows - 1) await new Promise((r) => setTimeout(r, o.publishIntervalMs));
  }

  await Promise.all(
    gates.map((g, i) => {
      const health: GatePayload<'health'> = {
        ts: Date.now(),
        bootId: g.bootId,
        uptimeS: 60 * windows,
        outbox: { depth: Math.floor(rand() * 3), capacity: 10_000 },
        devices: [
          { lane: 'L1', device: 'qr-scanner', state: 'up' },
          { lane: 'L1', device: 'turnstile', state: 'up' },
        ],
        lanes: [],
        dbBytes: 4_000_000,
        clock: { synced: true, jumps: 0 },
      };
      return publish(i, topicFor(g.site, g.gate, 'health'), health, true);
    }),
  );
  summary.messages.health += gates.length;
  await o.afterRound?.(sent());
  summary.publishMs = Date.now() - started;
  const m = summary.messages;
  m.total = m.status + m.counts + m.alarms + m.health;

  return {
    summary,
    jwks,
    async close(mode = 'graceful') {
      if (mode === 'drop') {
        // As a power cut would: no DISCONNECT, so the broker publishes each connection's last will.
        for (const c of clients) c.stream.destroy();
        await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
        return;
      }
      await Promise.all(
        gates.map((g, i) =>
          publish(
            i,
            topicFor(g.site, g.gate, 'status'),
            { state: 'offline', bootId: g.bootId, link: g.link, ts: Date.now() },
            true,
          ),
        ),
      );
      if (mode === 'clear') {
        // Empty retained payloads delete the retained messages, so test runs leave nothing behind on a shared broker.
        await Promise.all(
          gates.flatMap((g, i) => [
            clients[owner(i)]!.publishAsync(topicFor(g.site, g.gate, 'status'), '', { qos: 1, retain: true }),
            clients[owner(i)]!.publishAsync(topicFor(g.site, g.gate, 'health'), '', { qos: 1, retain: true }),
          ]),
        );
      }
      await Promise.all(clients.map((c) => c.endAsync().catch(() => {})));
    },
  };
}
