// Site policy: pure rules over what the verifiers established and what the store remembers.
// No I/O: the decision service feeds it facts read inside the committing transaction.
import type { CredentialKind, Direction, GatewayConfig, LaneSide } from '../config/schema.js';
import type { ReasonCode } from '../reasons.js';

export interface PolicyFacts {
  kind: CredentialKind;
  direction: Direction;
  side: LaneSide;
  /** Uses already recorded for this ticket (entries), when it is a ticket. */
  ticketUses?: { used: number; allowed: number | null };
  /** The subject is recorded inside this lane's zone (and not forgotten by resetAfterS). */
  insideZone: boolean;
  watchlistHit: boolean;
  /** Holder binding on a ticket, and what the presented identity proves about it. */
  binding?: 'none' | 'match' | 'mismatch' | 'unverified';
  documentExpired?: boolean;
}

export interface PolicyVerdict {
  decision: 'allow' | 'deny';
  reason: ReasonCode;
  alarms: Array<'anti-passback' | 'watchlist-hit'>;
}

export function applyPolicy(policy: GatewayConfig['policy'], f: PolicyFacts): PolicyVerdict {
  const alarms: PolicyVerdict['alarms'] = [];
  const deny = (reason: ReasonCode): PolicyVerdict => ({ decision: 'deny', reason, alarms });
  // A watchlist hit is reported whatever else happens, silently, for security staff.
  if (f.watchlistHit) alarms.push('watchlist-hit');
  if (!f.side.accepts.includes(f.kind)) return deny('policy.credential-not-accepted');
  if (f.kind === 'cccd-qr' && !policy.cccdQrOpens && f.binding !== 'match')
    return deny('policy.credential-not-accepted');
  if (f.documentExpired && policy.expiredDocument === 'deny')
    return deny(f.kind === 'cccd-qr' ? 'qr.expired' : 'chip.expired');
  if (f.binding === 'mismatch') return deny('policy.binding-mismatch');
  if (f.binding === 'unverified') return deny('policy.binding-unverified');
  if (f.watchlistHit && policy.watchlistAction === 'deny') return deny('policy.watchlist');
  if (
    f.ticketUses &&
    f.direction === 'in' &&
    f.ticketUses.allowed !== null &&
    f.ticketUses.used >= f.ticketUses.allowed
  ) {
    return deny('ticket.uses-exhausted');
  }
  if (policy.antiPassback.enabled && f.direction === 'in' && f.insideZone) {
    alarms.push('anti-passback');
    if (policy.antiPassback.mode === 'hard') return deny('policy.anti-passback');
  }
  return { decision: 'allow', reason: 'ok', alarms };
}

/** How many entries a ticket allows when it does not say: a single ticket once, time-bound passes without limit. */
export function allowedUses(kind: string, uses: number | undefined): number | null {
  if (uses !== undefined) return uses;
  return kind === 'single' || kind === 'train' ? 1 : null;
}
