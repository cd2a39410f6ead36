// Credential establishment: a scanned line is classified once, each kind goes to its own verifier, and what
// they establish (or the reason they do not) comes back in one shape. Outside bytes never throw.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { parseCccdQr } from '../../../gateway/credentials/cccd-qr.js';
import {
  type EstablishContext,
  emptyCredential,
  establishCredential,
  scannedCredential,
} from '../../../gateway/credentials/establish.js';
import { ticketKeys } from '../../../gateway/credentials/ticket.js';
import type { ChipCheck } from '../../../gateway/lane/ports.js';
import { REASON_CODES } from '../../../gateway/reasons.js';
import { NGUYEN_VAN_A, TRAN_THI_MAU } from '../../../sim/cards/people.js';
import { cccdQrText } from '../../../sim/people/population.js';
import { keys, ROOT, SITE, ticket } from '../../helpers/harness.js';

const jwks = ticketKeys(JSON.parse(readFileSync(join(ROOT, 'seeds/issuer/jwks.json'), 'utf8')));
const ctx = (over: Partial<EstablishContext> = {}): EstablishContext => ({
  ticketKeys: jwks,
  site: SITE,
  clockSkewS: 60,
  now: Date.now(),
  ...over,
});
const QR = cccdQrText(NGUYEN_VAN_A); // SYNTHETIC

t.test('a scanned line is a CCCD QR when it has its shape, a ticket otherwise', async (t) => {
  t.same(scannedCredential(QR), { kind: 'cccd-qr', text: QR });
  const token = await ticket();
  t.same(scannedCredential(token), { kind: 'ticket', token });
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const c = scannedCredential(text);
      return c.kind === 'cccd-qr' ? c.text === text && /^\d{12}\|/.test(text) : c.kind === 'ticket' && c.token === text;
    }),
  );
});

t.test('a valid ticket establishes the verified ticket and its facts', async (t) => {
  const r = await establishCredential({ kind: 'ticket', token: await ticket({ tid: 'T-est-1' }) }, ctx());
  t.match(r, {
    ok: true,
    value: { ticket: { claims: { tid: 'T-est-1' } }, facts: { tid: 'T-est-1', ticketKind: 'single' } },
  });
  if (r.ok) t.notOk(r.value.identity, 'a ticket names nobody by itself');
});

t.test("a ticket that does not verify establishes nothing, with the verifier's reason", async (t) => {
  t.match(await establishCredential({ kind: 'ticket', token: await ticket({}, keys.forger()) }, ctx()), {
    ok: false,
    reason: 'ticket.bad-signature',
  });
  t.match(await establishCredential({ kind: 'ticket', token: 'a.b' }, ctx()), {
    ok: false,
    reason: 'ticket.malformed',
  });
});

t.test('a CCCD QR establishes a claimed identity, never a verified one', async (t) => {
  const r = await establishCredential({ kind: 'cccd-qr', text: QR }, ctx());
  t.match(r, {
    ok: true,
    value: { identity: { idNumber: NGUYEN_VAN_A.id, verified: false }, facts: { claimed: true, nationality: 'VNM' } },
  });
});

t.test('a malformed CCCD QR gets the parser’s reason', async (t) => {
  t.match(await establishCredential({ kind: 'cccd-qr', text: `${NGUYEN_VAN_A.id}|x` }, ctx()), {
    ok: false,
    reason: 'qr.malformed',
  });
});

t.test('a QR already parsed where it was read is not parsed again: the parse given is the one used', async (t) => {
  // The text names one person, the parse another: establishment must take the parse.
  const parsed = parseCccdQr(cccdQrText(TRAN_THI_MAU), Date.now());
  const r = await establishCredential({ kind: 'cccd-qr', text: QR, parsed }, ctx());
  t.match(r, { ok: true, value: { identity: { idNumber: TRAN_THI_MAU.id } } });
  const failed = await establishCredential(
    { kind: 'cccd-qr', text: QR, parsed: { ok: false, reason: 'qr.bad-name' } },
    ctx(),
  );
  t.match(failed, { ok: false, reason: 'qr.bad-name' });
});

t.test('a chip without a trust store establishes nothing and says why', async (t) => {
  t.match(await establishCredential({ kind: 'chip', sod: Buffer.of(1), dataGroups: new Map() }, ctx()), {
    ok: false,
    reason: 'chip.malformed',
    facts: { detail: 'no chip trust store configured' },
  });
});

t.test('a chip goes to the chip check; a failure keeps the holder it names, for the log', async (t) => {
  const identity = { idNumber: NGUYEN_VAN_A.id, verified: true };
  const photo = Buffer.from('jpeg');
  const genuine: ChipCheck = {
    verify: async () => ({ ok: true, identity, photo, documentExpired: true, facts: { pa: 'ok' } }),
  };
  t.same(
    await establishCredential({ kind: 'chip', sod: Buffer.of(1), dataGroups: new Map() }, ctx({ chip: genuine })),
    {
      ok: true,
      value: { identity, photo, documentExpired: true, facts: { pa: 'ok' } },
    },
  );
  const failing: ChipCheck = {
    verify: async () => ({ ok: false, reason: 'chip.bad-signature', facts: { pa: 'failed' }, identity }),
  };
  t.same(
    await establishCredential({ kind: 'chip', sod: Buffer.of(1), dataGroups: new Map() }, ctx({ chip: failing })),
    {
      ok: false,
      reason: 'chip.bad-signature',
      facts: { pa: 'failed' },
      identity,
    },
  );
});

t.test('any scanned line establishes something or fails with a known reason, never a throw', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 400 }),
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 9 }).map((f) => `${NGUYEN_VAN_A.id}|${f.join('|')}`),
        fc.array(fc.base64String({ maxLength: 80 }), { minLength: 3, maxLength: 3 }).map((p) => p.join('.')),
      ),
      async (text) => {
        const r = await establishCredential(scannedCredential(text), ctx());
        return r.ok || REASON_CODES.includes(r.reason);
      },
    ),
    { numRuns: 300 },
  );
});

t.test('the stand-in for a presentation that failed before any read has only its kind', async (t) => {
  for (const kind of ['ticket', 'cccd-qr', 'chip'] as const) t.equal(emptyCredential(kind).kind, kind);
});
