// Signer keys rotate by kid: a JWKS file is re-read when it changes (its mtime), checked at most every few
// seconds, so a key rolled out on the box is used without a restart. A file that does not read or parse keeps
// the last good keys and logs why: a half-written JWKS must not stop the gate. At start there are no good keys
// yet, so a bad file throws there (the daemon refuses to start, naming the file).
import { readFileSync, statSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';

export interface JwksReloaderOptions<K> {
  file: string;
  /** What the keys are, for the log ("ticket issuer keys"). */
  what: string;
  /** Builds the usable keys from the parsed set; may throw on a set it cannot use. */
  build: (jwks: JSONWebKeySet) => K;
  logger: Pick<Logger, 'info' | 'error'>;
  checkEveryMs?: number;
  /** The clock of the checks (tests step it). */
  now?: () => number;
}

/** Loads the file now (throws if it cannot) and returns the getter that the verifier calls for each use. */
export function jwksReloader<K>(opts: JwksReloaderOptions<K>): () => K {
  const { file, what, logger } = opts;
  const checkEveryMs = opts.checkEveryMs ?? 5000;
  const now = opts.now ?? Date.now;
  let keys: K | null = null;
  let mtime = 0;
  let checkedAt = 0;
  const load = (): void => {
    const m = statSync(file).mtimeMs;
    if (keys && m === mtime) return;
    const jwks = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks?.keys)) throw new Error(`${file}: not a JWKS (no keys array)`);
    keys = opts.build(jwks);
    mtime = m;
    logger.info({ file, kids: jwks.keys.map((k) => k.kid) }, `${what} loaded`);
  };
  load();
  return () => {
    const t = now();
    if (t - checkedAt > checkEveryMs) {
      checkedAt = t;
      try {
        load();
      } catch (err) {
        logger.error({ err: (err as Error).message, file }, `${what} not reloaded`);
      }
    }
    return keys!;
  };
}
