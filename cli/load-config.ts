// One way for every subcommand to read a gateway config: on failure, one line per problem naming the key
// on stderr, and null (the caller exits 2).
import { loadConfig } from '../gateway/config/load.js';
import type { GatewayConfig } from '../gateway/config/schema.js';

export function loadConfigOrReport(path: string, label = 'config error'): GatewayConfig | null {
  const loaded = loadConfig(path);
  if (loaded.ok) return loaded.config;
  for (const e of loaded.errors) console.error(`${label}: ${e}`);
  return null;
}
