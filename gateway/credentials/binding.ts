// Which person a presentation names. Credentials shown together (a train ticket and the holder's CCCD, a
// chip and the QR that opened it) must name the same person, and a ticket bound to a holder (`hid`) opens
// only for the ID it was bound to. Pure: what the verifiers established in, verdicts out.
import { chipDisagreesWithQr, type IdentityField } from './chip-qr-agreement.js';
import type { CredentialInput, Established, Establishment } from './establish.js';
import type { Identity } from './identity.js';
import { holderBinding } from './ticket.js';

/**
 * What the presented identity proves about a ticket's holder binding: `none` for an unbound ticket (or no
 * ticket), `mismatch` when the ID shown is not the one bound, `match` when it is and the ID is proven (a
 * chip after passive authentication) or site policy accepts a claimed one (the printed QR), `unverified`
 * when no ID was shown or only a claimed one the policy does not accept.
 */
export type HolderBinding = 'none' | 'match' | 'mismatch' | 'unverified';

export function holderBindingOf(est: Established, claimedIdAccepted: boolean): HolderBinding {
  const hid = est.ticket?.claims.hid;
  if (!est.ticket || !hid) return 'none';
  const id = est.identity;
  if (!id) return 'unverified';
  if (holderBinding(est.ticket.claims.tid, id.idNumber) !== hid) return 'mismatch';
  return id.verified || claimedIdAccepted ? 'match' : 'unverified';
}

/**
 * Two credentials shown together must name the same person. A chip and the CCCD QR that opened it are
 * compared on ID, name and birth date (issue #13: DG13 and DG1 against the QR); other pairs on the ID.
 * Returns the fields that differ (never their values); empty when they agree or one names nobody.
 */
export function identitiesDisagree(
  a: CredentialInput['kind'],
  aId: Identity | undefined,
  b: CredentialInput['kind'],
  bId: Identity | undefined,
): IdentityField[] {
  if (!aId || !bId) return [];
  if (a === 'chip' && b === 'cccd-qr') return chipDisagreesWithQr(bId, aId);
  if (a === 'cccd-qr' && b === 'chip') return chipDisagreesWithQr(aId, bId);
  return aId.idNumber === bId.idNumber ? [] : ['idNumber'];
}

/**
 * What the primary credential and one supporting credential establish together: the primary's ticket and
 * facts win, the proven identity wins over a claimed one, and the primary's photo over the supporting one's.
 */
export function withSupporting(primary: Established, supporting: Established): Established {
  const merged: Established = { ...supporting, ...primary, facts: { ...supporting.facts, ...primary.facts } };
  if (!primary.identity || (supporting.identity?.verified && !primary.identity.verified))
    merged.identity = supporting.identity;
  merged.photo = primary.photo ?? supporting.photo;
  return merged;
}

/**
 * A presentation as a whole: the credential that asks to open and the ones that prove who holds it, each
 * established, all naming the same person. The first failure ends it, with what was established so far.
 */
export async function establishPresentation(
  primary: CredentialInput,
  supporting: readonly CredentialInput[],
  establish: (c: CredentialInput) => Promise<Establishment>,
): Promise<Establishment> {
  const first = await establish(primary);
  if (!first.ok) return first;
  let est = first.value;
  for (const extra of supporting) {
    const s = await establish(extra);
    if (!s.ok) return { ...s, facts: { ...est.facts, ...s.facts } };
    const differing = identitiesDisagree(primary.kind, est.identity, extra.kind, s.value.identity);
    if (differing.length > 0) {
      // Which fields, never their values.
      const facts = { ...est.facts, mismatch: differing.join(',') };
      return { ok: false, reason: 'chip.id-mismatch', identity: est.identity, facts };
    }
    est = withSupporting(est, s.value);
  }
  return { ok: true, value: est };
}
