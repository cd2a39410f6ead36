// A gateway on simulated hardware for tests: the demo config, a fresh database, virtual devices on the
// mock binding (or ptys), real drivers, and the demo issuer keys.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type ComposeOptions, composeGateway } from '../../gateway/compose.js';
import type { GatewayConfig } from '../../gateway/config/schema.js';
import type { Gateway } from '../../gateway/gateway.js';
import { createLogger } from '../../gateway/logger.js';
import { demoConfig, INTEGRATION_TOKEN } from '../../sim/demo-site.js';
import { SimRig, type Transport } from '../../sim/rig.js';

// The demo site (config, tokens, tickets) lives in sim/ so that benches use it too; re-exported for tests.
export { DEVICE_TOKEN, demoConfig, INTEGRATION_TOKEN, keys, ROOT, SITE, ticket } from '../../sim/demo-site.js';
/** The integration token's former name (http.staffTokens, now http.integrationTokens). */
export const STAFF_TOKEN = INTEGRATION_TOKEN;

/** Collects every log line the gateway writes, for privacy assertions. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
}

export interface Harness {
  rig: SimRig;
  gateway: Gateway;
  config: GatewayConfig;
  logs: LogCapture;
  url: string;
  stop(): Promise<void>;
}

export async function startHarness(
  opts: { transport?: Transport; config?: GatewayConfig; extra?: Partial<ComposeOptions> } = {},
): Promise<Harness> {
  const config = opts.config ?? demoConfig();
  const rig = await SimRig.start(config, {
    transport: opts.transport ?? 'mock',
    dir: mkdtempSync(join(tmpdir(), 'gate06-rig-')),
  });
  const logs = new LogCapture();
  const gateway = await composeGateway({
    config: rig.config,
    logger: createLogger('info', logs),
    devices: rig.devices,
    // The lane and API tests run without the operator console (test/gateway/console/harness.ts has it).
    console: false,
    ...opts.extra,
  });
  await gateway.start();
  return {
    rig,
    gateway,
    config: rig.config,
    logs,
    url: gateway.url,
    stop: async () => {
      await gateway.stop();
      await rig.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds, polling; fails the wait (not the clock) after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}
