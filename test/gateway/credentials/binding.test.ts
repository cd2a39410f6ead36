// Ticket↔ID binding: a ticket bound to a holder opens for that holder's ID only, proven (a chip) or, where
// site policy accepts it, claimed (the printed QR); credentials shown together must name the same person.
import t from 'tap';
import {
  establishPresentation,
  holderBindingOf,
  identitiesDisagree,
  withSupporting,
} from '../../../gateway/credentials/binding.js';
import type { CredentialInput, Established, Establishment } from '../../../gateway/credentials/establish.js';
import type { Identity } from '../../../gateway/credentials/identity.js';
import { holderBinding, type VerifiedTicket } from '../../../gateway/credentials/ticket.js';
import { NGUYEN_VAN_A, TRAN_THI_MAU } from '../../../sim/cards/people.js';

const A = NGUYEN_VAN_A.id; // SYNTHETIC
const B = TRAN_THI_MAU.id; // SYNTHETIC
const now = Math.floor(Date.now() / 1000);
const ticketFor = (holder?: string): VerifiedTicket => ({
  kid: 'demo-2026-a',
  claims: {
    tid: 'T-bind-1',
    site: 'hn-demo',
    kind: 'train',
    nbf: now,
    exp: now + 3600,
    ...(holder ? { hid: holderBinding('T-bind-1', holder) } : {}),
  },
});
const claimed = (idNumber: string): Identity => ({ idNumber, verified: false });
const proven = (idNumber: string): Identity => ({ idNumber, verified: true });
const ticketCredential: CredentialInput = { kind: 'ticket', token: 'h.p.s' };
const chipCredential: CredentialInput = { kind: 'chip', sod: Buffer.of(1), dataGroups: new Map() };
const qrCredential: CredentialInput = { kind: 'cccd-qr', text: `${A}|` };
const est = (ticket?: VerifiedTicket, identity?: Identity): Established => ({
  ...(ticket ? { ticket } : {}),
  ...(identity ? { identity } : {}),
  facts: {},
});

t.test('no ticket, or a ticket bound to nobody: no binding to check', async (t) => {
  t.equal(holderBindingOf(est(undefined, proven(A)), false), 'none');
  t.equal(holderBindingOf(est(ticketFor(), proven(A)), false), 'none');
});

t.test('a bound ticket with no ID shown is unverified', async (t) => {
  t.equal(holderBindingOf(est(ticketFor(A)), true), 'unverified');
});

t.test("a bound ticket with another person's ID is a mismatch, proven or claimed", async (t) => {
  t.equal(holderBindingOf(est(ticketFor(A), proven(B)), false), 'mismatch');
  t.equal(holderBindingOf(est(ticketFor(A), claimed(B)), true), 'mismatch');
});

t.test(
  "the holder's chip matches; the holder's printed QR matches only where policy accepts a claimed ID",
  async (t) => {
    t.equal(holderBindingOf(est(ticketFor(A), proven(A)), false), 'match');
    t.equal(holderBindingOf(est(ticketFor(A), claimed(A)), false), 'unverified');
    t.equal(holderBindingOf(est(ticketFor(A), claimed(A)), true), 'match');
  },
);

t.test('a chip and the QR that opened it agree on ID, name and birth date; other pairs on the ID', async (t) => {
  const qr: Identity = { idNumber: A, verified: false, name: 'Nguyễn Văn A', birthDate: '1999-01-01' };
  const chip: Identity = { idNumber: A, verified: true, name: 'NGUYEN VAN A', birthDate: '1999-01-01' };
  t.same(identitiesDisagree('chip', chip, 'cccd-qr', qr), []);
  t.same(identitiesDisagree('cccd-qr', { ...qr, name: 'Trần Thị Mẫu' }, 'chip', chip), ['name']);
  t.same(identitiesDisagree('chip', { ...chip, birthDate: '1998-01-01' }, 'cccd-qr', qr), ['birthDate']);
  // A ticket and an ID (no names to compare): the ID only.
  t.same(identitiesDisagree('ticket', { ...qr, name: 'X' }, 'cccd-qr', qr), []);
  t.same(identitiesDisagree('ticket', claimed(B), 'chip', chip), ['idNumber']);
  t.same(identitiesDisagree('ticket', undefined, 'chip', chip), [], 'a ticket naming nobody contradicts nobody');
});

t.test('a supporting ID lends its identity to the ticket; the primary keeps its own facts and photo', async (t) => {
  const ticket = ticketFor(A);
  const merged = withSupporting(
    { ticket, facts: { tid: 'T-bind-1', source: 'primary' } },
    { identity: proven(A), photo: Buffer.from('dg2'), documentExpired: false, facts: { pa: 'ok', source: 'support' } },
  );
  t.same(merged.identity, proven(A));
  t.equal(merged.ticket, ticket);
  t.same(merged.facts, { pa: 'ok', source: 'primary', tid: 'T-bind-1' });
  t.same(merged.photo, Buffer.from('dg2'));
  t.equal(merged.documentExpired, false);
});

t.test('a proven identity wins over a claimed one; the primary photo over the supporting one', async (t) => {
  const chipFirst = withSupporting(
    { identity: proven(A), photo: Buffer.from('chip'), facts: {} },
    { identity: claimed(A), facts: {} },
  );
  t.same(chipFirst.identity, proven(A));
  t.same(chipFirst.photo, Buffer.from('chip'));
  const qrFirst = withSupporting({ identity: claimed(A), facts: {} }, { identity: proven(A), facts: {} });
  t.same(qrFirst.identity, proven(A));
});

t.test('a presentation: the first credential that fails ends it, with what was established before', async (t) => {
  const results: Record<string, Establishment> = {
    ticket: { ok: true, value: { ticket: ticketFor(A), facts: { tid: 'T-bind-1' } } },
    chip: { ok: false, reason: 'chip.bad-signature', facts: { pa: 'failed' } },
    'cccd-qr': { ok: true, value: { identity: claimed(A), facts: { claimed: true } } },
  };
  const seen: string[] = [];
  const establish = async (c: CredentialInput): Promise<Establishment> => {
    seen.push(c.kind);
    return results[c.kind]!;
  };
  const r = await establishPresentation(ticketCredential, [chipCredential, qrCredential], establish);
  t.same(r, { ok: false, reason: 'chip.bad-signature', facts: { tid: 'T-bind-1', pa: 'failed' } });
  t.same(seen, ['ticket', 'chip'], 'nothing after the failure is established');
  t.same(await establishPresentation(chipCredential, [qrCredential], establish), results.chip);
});

t.test('a presentation whose credentials name two people is chip.id-mismatch, naming the field only', async (t) => {
  const establish = async (c: CredentialInput): Promise<Establishment> =>
    c.kind === 'chip'
      ? { ok: true, value: { identity: { ...proven(A), name: 'NGUYEN VAN A' }, facts: { pa: 'ok' } } }
      : { ok: true, value: { identity: { ...claimed(A), name: 'Trần Thị Mẫu' }, facts: { claimed: true } } };
  const r = await establishPresentation(chipCredential, [qrCredential], establish);
  t.same(r, {
    ok: false,
    reason: 'chip.id-mismatch',
    identity: { ...proven(A), name: 'NGUYEN VAN A' },
    facts: { pa: 'ok', mismatch: 'name' },
  });
});

t.test('a ticket with its holder’s card establishes the ticket and the proven holder together', async (t) => {
  const establish = async (c: CredentialInput): Promise<Establishment> =>
    c.kind === 'ticket'
      ? { ok: true, value: { ticket: ticketFor(A), facts: { tid: 'T-bind-1' } } }
      : { ok: true, value: { identity: proven(A), facts: { pa: 'ok' } } };
  const r = await establishPresentation(ticketCredential, [chipCredential], establish);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.value.identity, proven(A));
  t.equal(holderBindingOf(r.value, false), 'match');
});
