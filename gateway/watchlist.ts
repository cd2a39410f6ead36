// The watchlist: keyed ID hashes (HMAC with the site key, as in the event log) pushed by the IOC as a signed,
// versioned document. A hit raises a silent alarm for security staff; what the lane does is site policy.
// Documents are compact JWS (EdDSA) verified against the IOC signer's JWKS (contracts/jws.ts); an older
// version never replaces a newer one, so a replayed command cannot roll the list back.

import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { createJwsSigner, type JwsRejection, verifyCompactJws } from '../contracts/jws.js';
import { fail, ok, type Result } from '../contracts/result.js';
import type { WatchlistCheck } from './lane/ports.js';

export const WatchlistDocument = z
  .object({
    version: z.number().int().nonnegative(),
    site: z.string().min(1).max(40),
    issuedAt: z.number().int(),
    /** keyed ID hashes, lower-case hex SHA-256 HMACs */
    hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(200_000),
  })
  .strict();
export type WatchlistDocument = z.infer<typeof WatchlistDocument>;

/** Why a list was not loaded (logged, and the reason a watchlist command is refused). */
export type WatchlistRejection =
  | 'watchlist.unsigned'
  | 'watchlist.bad-signature'
  | 'watchlist.unknown-key'
  | 'watchlist.invalid'
  | 'watchlist.wrong-site'
  | 'watchlist.not-newer'
  | 'watchlist.unreadable';
/** The protected header's `typ` of a watchlist; a list signed without it is refused. */
export const WATCHLIST_JWS_TYPE = 'gate06-watchlist';

export type WatchlistLoad = Result<{ version: number; entries: number }, WatchlistRejection>;

const WATCHLIST_REJECTIONS: Record<JwsRejection, WatchlistRejection> = {
  'jws.too-long': 'watchlist.unsigned',
  'jws.not-compact': 'watchlist.unsigned',
  'jws.header-not-json': 'watchlist.unsigned',
  'jws.bad-header': 'watchlist.bad-signature',
  'jws.alg-not-allowed': 'watchlist.bad-signature',
  'jws.unknown-key': 'watchlist.unknown-key',
  'jws.wrong-kid': 'watchlist.unknown-key',
  'jws.wrong-header': 'watchlist.bad-signature',
  'jws.bad-signature': 'watchlist.bad-signature',
};

export class Watchlist implements WatchlistCheck {
  private hashes = new Set<string>();
  private version = -1;
  /**
   * @param signerKeys the IOC signer's keys by kid, asked at each load (gateway/jwks-reloader.ts re-reads the
   * JWKS file when it changes, so a rotated key is used without a restart).
   */
  constructor(
    private readonly signerKeys: () => ReadonlyMap<string, KeyObject>,
    private readonly site: string,
  ) {}

  get currentVersion(): number {
    return this.version;
  }

  isListed(keyedIdHash: string): boolean {
    return this.hashes.has(keyedIdHash);
  }

  load(jws: string): WatchlistLoad {
    // The IOC's key also signs commands; the type in the signed header keeps a token made for one from being
    // taken for the other, whatever its payload happens to parse as.
    const verified = verifyCompactJws(jws.trim(), { keys: this.signerKeys(), header: { typ: WATCHLIST_JWS_TYPE } });
    if (!verified.ok) return fail(WATCHLIST_REJECTIONS[verified.reason], verified.detail);
    let doc: WatchlistDocument;
    try {
      const parsed = WatchlistDocument.safeParse(JSON.parse(verified.value.payload.toString('utf8')));
      if (!parsed.success)
        return fail('watchlist.invalid', `invalid document: ${parsed.error.issues[0]?.path.join('.')}`);
      doc = parsed.data;
    } catch {
      return fail('watchlist.invalid', 'payload is not JSON');
    }
    if (doc.site !== this.site) return fail('watchlist.wrong-site', `list for site ${doc.site}`);
    if (doc.version <= this.version)
      return fail('watchlist.not-newer', `version ${doc.version} is not newer than ${this.version}`);
    this.hashes = new Set(doc.hashes);
    this.version = doc.version;
    return ok({ version: doc.version, entries: this.hashes.size });
  }

  loadFile(file: string): WatchlistLoad {
    try {
      return this.load(readFileSync(file, 'utf8'));
    } catch (err) {
      return fail('watchlist.unreadable', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
}

/** Signs a watchlist document (the IOC's side; used by `gate06 watchlist sign`, the demo and tests). */
export function signWatchlist(privateJwkFile: string, doc: WatchlistDocument): string {
  const jwk = JSON.parse(readFileSync(privateJwkFile, 'utf8')) as JsonWebKey & { kid: string };
  const signer = createJwsSigner(jwk.kid, createPrivateKey({ key: jwk, format: 'jwk' }), { typ: WATCHLIST_JWS_TYPE });
  return signer.sign(JSON.stringify(WatchlistDocument.parse(doc)));
}
