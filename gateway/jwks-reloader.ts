// Signer keys rotate by kid: a JWKS file is re-read when it changes (its mtime), checked at most every few
// seconds, so a key rolled out on the box is used without a restart. A file that does not read or parse keeps
// the last good keys and logs why: a half-written JWKS must not stop the gate. At start there are no good keys
// yet, so a bad file throws there (the daemon refuses to start, naming the file).
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { ed25519KeysFromJwks } from '../contracts/jws.js';

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

/**
 * An IOC signer's Ed25519 keys by kid (watchlist documents, IOC commands), re-read like the ticket issuers'
 * when the file changes, so a rotated IOC key is trusted and a withdrawn one refused without a restart. A set
 * with no usable key is refused like an unreadable one: at start it throws, later the last good keys stay.
 */
export function ed25519KeyReloader(
  file: string,
  what: string,
  logger: Pick<Logger, 'info' | 'error'>,
  opts: Pick<JwksReloaderOptions<never>, 'checkEveryMs' | 'now'> = {},
): () => ReadonlyMap<string, KeyObject> {
  return jwksReloader({
    ...opts,
    file,
    what,
    logger,
    build: (jwks) => {
      const keys = ed25519KeysFromJwks(jwks);
      if (!keys.ok) throw new Error(`${file}: ${keys.detail}`);
      if (keys.value.size === 0) throw new Error(`${file} holds no Ed25519 public key with a kid`);
      return keys.value;
    },
  });
}
