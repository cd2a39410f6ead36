// One way for every subcommand to read a gateway config: on failure, one line per problem naming the key
// on stderr, and null (the caller exits 2).
import { loadConfig } from '../gateway/config/load.js';
import type { GatewayConfig } from '../gateway/config/schema.js';

export function loadConfigOrReport(path: string, label = 'config error'): GatewayConfig | null {
  const loaded = loadConfig(path);
  if (loaded.ok) return loaded.value;
  for (const problem of loaded.problems) console.error(`${label}: ${problem}`);
  return null;
}
