// Makes tickets: used by `gate06 ticket issue`, the simulator and tests. Production tickets come from the
// site's ticketing system; this exists so the gate can be exercised with the demo key.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { createJwsSigner } from '../../contracts/jws.js';
import { holderBinding, type TicketClaims } from './ticket.js';

export interface IssuerKey {
  kid: string;
  key: KeyObject;
}

export function loadIssuerKey(file: string): IssuerKey {
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK & { kid?: string };
  if (!jwk.kid) throw new Error(`${file}: private JWK has no kid`);
  return { kid: jwk.kid, key: createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }) };
}

export interface TicketSpec {
  site: string;
  kind: TicketClaims['kind'];
  tid: string;
  validFromMs: number;
  validForMs: number;
  uses?: number;
  holderId?: string;
  train?: TicketClaims['train'];
}

// Synchronous since it signs with node:crypto; still a promise so callers need not change with the signer.
export async function issueTicket(issuer: IssuerKey, spec: TicketSpec): Promise<string> {
  const claims: TicketClaims = {
    tid: spec.tid,
    site: spec.site,
    kind: spec.kind,
    nbf: Math.floor(spec.validFromMs / 1000),
    exp: Math.floor((spec.validFromMs + spec.validForMs) / 1000),
    ...(spec.uses !== undefined ? { uses: spec.uses } : {}),
    ...(spec.holderId ? { hid: holderBinding(spec.tid, spec.holderId) } : {}),
    ...(spec.train ? { train: spec.train } : {}),
  };
  return createJwsSigner(issuer.kid, issuer.key, { typ: 'gate06-ticket' }).sign(JSON.stringify(claims));
}
