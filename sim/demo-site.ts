// The demo site as the simulator, the benchmarks and the tests all start it: seeds/demo/gateway.yaml with a
// fresh database and an ephemeral port, its DEMO tokens, and tickets signed with the DEMO issuer keys.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../gateway/config/load.js';
import type { GatewayConfig } from '../gateway/config/schema.js';
import { type IssuerKey, issueTicket, loadIssuerKey, type TicketSpec } from '../gateway/credentials/ticket-issuer.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const DEVICE_TOKEN = 'DEMO-device-token-0001';
export const INTEGRATION_TOKEN = 'DEMO-integration-token-0001';
export const SITE = 'hn-tamchuc';

/** The demo config on a fresh database in a temp dir, any free port, no MQTT; `mutate` adjusts it further. */
export function demoConfig(mutate?: (c: GatewayConfig) => void): GatewayConfig {
  const loaded = loadConfig(join(ROOT, 'seeds/demo/gateway.yaml'));
  if (!loaded.ok) throw new Error(loaded.detail);
  const c = structuredClone(loaded.value);
  c.store.path = join(mkdtempSync(join(tmpdir(), 'gate06-test-')), 'gateway.db');
  c.http.port = 0;
  delete c.mqtt;
  mutate?.(c);
  return c;
}

export const keys = {
  issuer: (): IssuerKey => loadIssuerKey(join(ROOT, 'seeds/issuer/demo-issuer.private.jwk.json')),
  forger: (): IssuerKey => loadIssuerKey(join(ROOT, 'seeds/issuer/demo-forger.private.jwk.json')),
  unknown: (): IssuerKey => loadIssuerKey(join(ROOT, 'seeds/issuer/demo-unknown.private.jwk.json')),
};

/** A ticket for the demo site valid for the next hour, signed with the DEMO issuer key unless `key` says. */
export function ticket(spec: Partial<TicketSpec> = {}, key: IssuerKey = keys.issuer()): Promise<string> {
  return issueTicket(key, {
    site: SITE,
    kind: 'single',
    tid: `T-${Math.random().toString(36).slice(2, 10)}`,
    validFromMs: Date.now() - 60_000,
    validForMs: 3600_000,
    ...spec,
  });
}
