import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { holderBinding, ticketKeys, verifyTicket } from '../../../gateway/credentials/ticket.js';
import { REASON_CODES } from '../../../gateway/reasons.js';
import { keys, ROOT, SITE, ticket } from '../../helpers/harness.js';

const jwks = ticketKeys(JSON.parse(readFileSync(join(ROOT, 'seeds/issuer/jwks.json'), 'utf8')));
const check = (now = Date.now()) => ({ site: SITE, now, clockSkewS: 60 });

t.test('a ticket signed with a trusted key for this site and time verifies', async (t) => {
  const r = await verifyTicket(await ticket({ tid: 'T-valid-1', uses: 2 }), jwks, check());
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.value.claims.tid, 'T-valid-1');
    t.equal(r.value.kid, 'demo-2026-a');
  }
});

t.test('the next key in the JWKS also verifies (rotation by kid)', async (t) => {
  const next = (await import('../../../gateway/credentials/ticket-issuer.js')).loadIssuerKey(
    join(ROOT, 'seeds/issuer/demo-issuer-next.private.jwk.json'),
  );
  const r = await verifyTicket(await ticket({}, next), jwks, check());
  t.ok(r.ok);
});

for (const [name, make, reason] of [
  [
    'a ticket whose signature does not verify (forged with the right kid)',
    () => ticket({}, keys.forger()),
    'ticket.bad-signature',
  ],
  ['a ticket signed by an unknown key', () => ticket({}, keys.unknown()), 'ticket.unknown-key'],
  ['an expired ticket', () => ticket({ validFromMs: Date.now() - 7200_000, validForMs: 3600_000 }), 'ticket.expired'],
  ['a ticket not valid yet', () => ticket({ validFromMs: Date.now() + 3600_000 }), 'ticket.not-yet-valid'],
  ['a ticket for another site', () => ticket({ site: 'hn-other' }), 'ticket.wrong-site'],
] as const) {
  t.test(`${name} is denied with ${reason}`, async (t) => {
    const r = await verifyTicket(await make(), jwks, check());
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.reason, reason);
  });
}

t.test('a ticket with claims of the wrong type is denied with ticket.bad-claims', async (t) => {
  const { CompactSign } = await import('jose');
  const k = keys.issuer();
  const token = await new CompactSign(
    new TextEncoder().encode(JSON.stringify({ tid: 'x1234', site: SITE, kind: 'single', nbf: 'soon', exp: 1 })),
  )
    .setProtectedHeader({ alg: 'EdDSA', kid: k.kid })
    .sign(k.key);
  const r = await verifyTicket(token, jwks, check());
  t.same(r.ok ? null : r.reason, 'ticket.bad-claims');
});

t.test('an alg=none token is refused', async (t) => {
  const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'demo-2026-a' })).toString('base64url');
  const body = Buffer.from(JSON.stringify({ tid: 'T-none', site: SITE, kind: 'day', nbf: 0, exp: 9e9 })).toString(
    'base64url',
  );
  const r = await verifyTicket(`${header}.${body}.`, jwks, check());
  t.equal(r.ok, false);
});

t.test('holder binding is a salted hash, never the ID itself', async (t) => {
  const b = holderBinding('T-1', '001099012345'); // synthetic ID
  t.notMatch(b, /001099012345/); // synthetic ID
  t.not(b, holderBinding('T-2', '001099012345')); // synthetic ID
});

const TICKET_REASONS = new Set(REASON_CODES.filter((r) => r.startsWith('ticket.')));

t.test('random and mutated tokens never throw and never verify', async () => {
  const good = await ticket();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 400 }),
        // The signature's last base64url character carries padding bits, so it is left alone.
        fc
          .tuple(fc.integer({ min: 0, max: good.length - 2 }), fc.constantFrom('A', 'b', '-', '_', '.', '0'))
          .map(([i, c]) => good.slice(0, i) + c + good.slice(i + 1)),
      ),
      async (token) => {
        const r = await verifyTicket(token, jwks, check());
        return token === good ? r.ok : !r.ok && TICKET_REASONS.has(r.reason);
      },
    ),
    { numRuns: 800 },
  );
});

const keySetJson = () => JSON.parse(readFileSync(join(ROOT, 'seeds/issuer/jwks.json'), 'utf8'));

t.test('a token shown again skips the signature check but not the clock or the site', async (t) => {
  const keySet = ticketKeys(keySetJson());
  const token = await ticket({ tid: 'T-again-1', validForMs: 3600_000 });
  t.ok((await verifyTicket(token, keySet, check())).ok);
  t.ok(keySet.recall(token), 'remembered after the first check');
  const later = await verifyTicket(token, keySet, check(Date.now() + 2 * 3600_000));
  t.same(later.ok ? null : later.reason, 'ticket.expired');
  const elsewhere = await verifyTicket(token, keySet, { ...check(), site: 'hn-other' });
  t.same(elsewhere.ok ? null : elsewhere.reason, 'ticket.wrong-site');
  const again = await verifyTicket(token, keySet, check());
  t.ok(again.ok);
  if (again.ok) t.ok(Object.isFrozen(again.value.claims), 'the remembered claims cannot be changed by a caller');
  // What is remembered answers without a signature check: a token with a broken signature that the key set
  // was told it verified passes, which shows the check is skipped (only verifyTicket itself ever remembers).
  const broken = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
  if (again.ok) keySet.remember(broken, again.value);
  t.ok((await verifyTicket(broken, keySet, check())).ok);
  t.notOk((await verifyTicket(broken, ticketKeys(keySetJson()), check())).ok, 'a fresh key set checks it');
});

t.test('only verified tokens are remembered, and only by the key set that verified them', async (t) => {
  const keySet = ticketKeys(keySetJson());
  const forged = await ticket({}, keys.forger());
  for (let i = 0; i < 2; i++) {
    const r = await verifyTicket(forged, keySet, check());
    t.same(r.ok ? null : r.reason, 'ticket.bad-signature', `forged, presentation ${i + 1}`);
  }
  t.notOk(keySet.recall(forged));
  const token = await ticket();
  t.ok((await verifyTicket(token, keySet, check())).ok);
  // The issuer's key is withdrawn from the JWKS: a reload builds a new key set with nothing remembered.
  const rotated = ticketKeys({ keys: [] });
  const r = await verifyTicket(token, rotated, check());
  t.same(r.ok ? null : r.reason, 'ticket.unknown-key');
});

t.test('the memory of verified tokens is bounded, oldest out first, and can be turned off', async (t) => {
  const small = ticketKeys(keySetJson(), 2);
  const tokens = await Promise.all([1, 2, 3].map((n) => ticket({ tid: `T-bound-${n}` })));
  for (const token of tokens) t.ok((await verifyTicket(token, small, check())).ok);
  t.same(
    tokens.map((token) => Boolean(small.recall(token))),
    [false, true, true],
  );
  const none = ticketKeys(keySetJson(), 0);
  t.ok((await verifyTicket(tokens[0]!, none, check())).ok);
  t.notOk(none.recall(tokens[0]!));
});
