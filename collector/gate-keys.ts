// Loads the collector's registry of gate keys (config gates.keysFile): a JWKS, one Ed25519 public key per gate,
// kid "site/gate". Read once at start; a bad file stops the start with a message naming the key.
import { readFileSync } from 'node:fs';
import { type GateKeyRegistry, gateKeyRegistryFromJwks } from '../contracts/publication-signature.js';
import { fail, ok, type Result } from '../contracts/result.js';

export function loadGateKeys(path: string | undefined): Result<GateKeyRegistry, 'gate-keys'> {
  if (path === undefined) return ok(new Map());
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return fail(
      'gate-keys',
      `gates.keysFile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const registry = gateKeyRegistryFromJwks(json);
  return registry.ok ? registry : fail('gate-keys', `gates.keysFile: ${registry.detail}`);
}
