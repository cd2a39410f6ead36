// The watchlist: keyed ID hashes (HMAC with the site key, as in the event log) pushed by the IOC as a signed,
// versioned document. A hit raises a silent alarm for security staff; what the lane does is site policy.
// Documents are compact JWS (EdDSA) verified against the IOC signer's JWKS; an older version never
// replaces a newer one, so a replayed command cannot roll the list back.

import { createPrivateKey, type JsonWebKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TicketKeys } from './credentials/ticket.js';
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

export type WatchlistLoad = { ok: true; version: number; entries: number } | { ok: false; reason: string };

export class Watchlist implements WatchlistCheck {
  private hashes = new Set<string>();
  private version = -1;
  private readonly keys: TicketKeys;

  constructor(
    signerJwksFile: string,
    private readonly site: string,
  ) {
    // The same Ed25519 JWKS shape and kid lookup as ticket issuers, with the IOC's own keys.
    this.keys = new TicketKeys(JSON.parse(readFileSync(signerJwksFile, 'utf8')));
  }

  get currentVersion(): number {
    return this.version;
  }

  isListed(keyedIdHash: string): boolean {
    return this.hashes.has(keyedIdHash);
  }

  load(jws: string): WatchlistLoad {
    const parts = jws.trim().split('.');
    if (parts.length !== 3) return { ok: false, reason: 'not a compact JWS' };
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: string; kid?: string };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
    } catch {
      return { ok: false, reason: 'header is not JSON' };
    }
    if (header.alg !== 'EdDSA' && header.alg !== 'Ed25519') return { ok: false, reason: 'algorithm not allowed' };
    const key = header.kid ? this.keys.get(header.kid) : undefined;
    if (!key) return { ok: false, reason: 'unknown signer key' };
    if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')))
      return { ok: false, reason: 'bad signature' };
    let doc: WatchlistDocument;
    try {
      const parsed = WatchlistDocument.safeParse(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
      if (!parsed.success) return { ok: false, reason: `invalid document: ${parsed.error.issues[0]?.path.join('.')}` };
      doc = parsed.data;
    } catch {
      return { ok: false, reason: 'payload is not JSON' };
    }
    if (doc.site !== this.site) return { ok: false, reason: `list for site ${doc.site}` };
    if (doc.version <= this.version)
      return { ok: false, reason: `version ${doc.version} is not newer than ${this.version}` };
    this.hashes = new Set(doc.hashes);
    this.version = doc.version;
    return { ok: true, version: doc.version, entries: this.hashes.size };
  }

  loadFile(file: string): WatchlistLoad {
    try {
      return this.load(readFileSync(file, 'utf8'));
    } catch (err) {
      return { ok: false, reason: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}` };
    }
  }
}

/** Signs a watchlist document (the IOC's side; used by `gate06 watchlist sign`, the demo and tests). */
export function signWatchlist(privateJwkFile: string, doc: WatchlistDocument): string {
  const jwk = JSON.parse(readFileSync(privateJwkFile, 'utf8')) as JsonWebKey & { kid: string };
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const h = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: jwk.kid, typ: 'gate06-watchlist' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(WatchlistDocument.parse(doc))).toString('base64url');
  return `${h}.${p}.${sign(null, Buffer.from(`${h}.${p}`), key).toString('base64url')}`;
}
