// `gate06 sim fleet --gates N ...`: simulated gate boxes publishing to a broker; prints a summary JSON.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fleetKeysJwks, runFleet } from '../sim/fleet.js';

const HELP = `Usage: gate06 sim fleet --gates N [options]

Runs N simulated gate boxes as MQTT clients (one connection per gate unless --clients is lower). Each
publishes a retained online status with a last will, W per-minute count windows (25-40 people a minute a
lane), the odd alarm and a retained health report, then prints a summary JSON: messages sent and totals per
lane, for comparison with what the collector stored.

Every gate signs what it publishes with its own DEMO key derived from --key-seed and its name; a collector
accepts them only with the matching registry: --keys-out FILE writes it (a JWKS for gates.keysFile) before
anything is published, so the collector can be started (or restarted) with it. Set --site-prefix for that.

Options:
  --gates N          number of gates (required)
  --lanes L          lanes per gate (default 2)
  --windows W        count windows per gate (default 5)
  --window-ms MS     wall time between rounds of windows (default 0: as fast as the broker takes them)
  --mqtt URL         broker (default: MQTT_URL, else mqtt://127.0.0.1:1883)
  --site-prefix P    site ids are P-s0, P-s1, ... (default: random)
  --sites S          number of sites (default: one per 10 gates)
  --clients C        MQTT connections (default: one per gate)
  --alarm-rate R     chance of an alarm per gate and window (default 0.01)
  --seed N           PRNG seed (default 6)
  --key-seed S       derive the gates' DEMO signing keys from S (default gate06-fleet-DEMO)
  --keys-out FILE    write the collector's registry of the gates' public keys (JWKS) to FILE
  --keys-only        with --keys-out: write the registry and exit without connecting
  --end MODE         graceful (retained offline, default) | drop (sockets cut: wills fire) | clear (delete retained) | keep (stay connected until Ctrl-C)
  --per-lane         include totals per lane in the summary (large for big fleets)
  -h, --help         this text`;

export async function run(argv: string[]): Promise<number> {
  let v: Record<string, string | boolean | undefined>;
  try {
    ({ values: v } = parseArgs({
      args: argv,
      strict: true,
      options: {
        gates: { type: 'string' },
        lanes: { type: 'string' },
        windows: { type: 'string' },
        'window-ms': { type: 'string' },
        mqtt: { type: 'string' },
        'site-prefix': { type: 'string' },
        sites: { type: 'string' },
        clients: { type: 'string' },
        'alarm-rate': { type: 'string' },
        seed: { type: 'string' },
        'key-seed': { type: 'string' },
        'keys-out': { type: 'string' },
        'keys-only': { type: 'boolean' },
        end: { type: 'string' },
        'per-lane': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const num = (key: string, min: number, max: number, dflt?: number): number | undefined => {
    const raw = v[key];
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new RangeError(`--${key}: expected a number from ${min} to ${max}, got ${raw}`);
    return n;
  };
  let opts: { end: string; fleet: Parameters<typeof runFleet>[0] };
  try {
    if (v.gates === undefined) throw new RangeError('--gates: required');
    const end = (v.end as string | undefined) ?? 'graceful';
    if (!['graceful', 'drop', 'clear', 'keep'].includes(end))
      throw new RangeError(`--end: expected graceful, drop, clear or keep, got ${end}`);
    opts = {
      end,
      fleet: {
        mqttUrl: (v.mqtt as string | undefined) ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
        gates: num('gates', 1, 100_000)!,
        lanesPerGate: num('lanes', 1, 64),
        windows: num('windows', 0, 100_000),
        publishIntervalMs: num('window-ms', 0, 3_600_000),
        sitePrefix: v['site-prefix'] as string | undefined,
        sites: num('sites', 1, 100_000),
        clients: num('clients', 1, 100_000),
        alarmRate: num('alarm-rate', 0, 1),
        seed: num('seed', 0, 2 ** 32),
        keySeed: v['key-seed'] as string | undefined,
      },
    };
    if (v['keys-out'] !== undefined && v['site-prefix'] === undefined)
      throw new RangeError('--keys-out: needs --site-prefix (the key ids name the sites)');
    if (v['keys-only'] && v['keys-out'] === undefined) throw new RangeError('--keys-only: needs --keys-out');
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (v['keys-out'] !== undefined) {
    try {
      writeFileSync(v['keys-out'] as string, `${JSON.stringify(fleetKeysJwks(opts.fleet), null, 2)}\n`);
    } catch (err) {
      console.error(`--keys-out: ${(err as Error).message}`);
      return 1;
    }
    if (v['keys-only']) return 0;
  }
  let fleet: Awaited<ReturnType<typeof runFleet>>;
  try {
    fleet = await runFleet(opts.fleet);
  } catch (err) {
    console.error(`fleet: ${(err as Error).message}`);
    return 1;
  }
  const { perLane, alarmIds, ...rest } = fleet.summary;
  console.log(JSON.stringify(v['per-lane'] ? fleet.summary : { ...rest, alarms: alarmIds.length }));
  if (opts.end === 'keep') {
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await fleet.close('graceful');
  } else {
    await fleet.close(opts.end as 'graceful' | 'drop' | 'clear');
  }
  return 0;
}
