// Security staff's log search over HTTP: by ID number (hashed, never kept), CSV export, event detail with
// personal fields for the security role only, watchlist hits, and the audit trail of all of it.
import t from 'tap';
import { maskId } from '../../../gateway/credentials/identity.js';
import { cccdQrText, syntheticPerson } from '../../../sim/people/population.js';
import { seededRandom } from '../../../sim/random.js';
import { ApiClient, type Harness, PASSWORDS, startHarness } from '../console/harness.js';

const DEVICE = 'Bearer DEMO-device-token-0001';
const STAFF = 'Bearer DEMO-integration-token-0001';
const rnd = seededRandom(77);
const [alice, bao] = [syntheticPerson(rnd, 1), syntheticPerson(rnd, 2)]; // SYNTHETIC

let h: Harness;
let sec: ApiClient;
let admin: ApiClient;
const eventIds: string[] = [];

t.before(async () => {
  h = await startHarness({ personal: true });
  // Decisions through the networked-reader API; the L2 exit side has no turnstile wait to worry about here.
  for (const [p, dir] of [
    [alice, 'in'],
    [bao, 'in'],
    [alice, 'out'],
  ] as const) {
    const r = await fetch(`${h.url}/v1/verify`, {
      method: 'POST',
      headers: { authorization: DEVICE, 'content-type': 'application/json' },
      body: JSON.stringify({ lane: 'L2', direction: dir, credential: { kind: 'cccd-qr', text: cccdQrText(p!) } }),
    });
    eventIds.push(((await r.json()) as { eventId: string }).eventId);
  }
  sec = new ApiClient(h.url);
  await sec.login('sec', PASSWORDS.sec);
  admin = new ApiClient(h.url);
  await admin.login('admin', PASSWORDS.admin);
});
t.teardown(() => h.stop());

const lastAudit = () => h.gw.core.audit.list({ limit: 1 })[0]!;

t.test('a search by ID number finds only that person, with masked IDs', async (t) => {
  const res = await sec.fetch('/v1/security/search', { body: { idNumber: alice!.id } });
  const body = (await res.json()) as { events: Array<{ idMasked: string; idHash?: string }> };
  t.equal(body.events.length, 2);
  t.ok(body.events.every((e) => e.idMasked === maskId(alice!.id) && e.idHash === undefined));
});

t.test('the search is audited with the ID as [hashed] and the row count', async (t) => {
  await sec.fetch('/v1/security/search', { body: { idNumber: bao!.id, lane: 'L2' } });
  t.match(lastAudit(), {
    actor: 'sec',
    role: 'security',
    action: 'events.search',
    filter: { idNumber: '[hashed]', lane: 'L2' },
    rows: 1,
  });
  const raw = h.gw.core.store.db
    .prepare('SELECT count(*) AS n FROM audit_log WHERE filter LIKE ?')
    .get(`%${bao!.id}%`) as { n: number };
  t.equal(raw.n, 0);
});

t.test('search results page by cursor, newest first', async (t) => {
  const first = (await (
    await sec.fetch('/v1/security/search', { body: { credential: 'cccd-qr', limit: 2 } })
  ).json()) as { events: Array<{ id: string }>; nextCursor: string };
  t.same(
    first.events.map((e) => e.id),
    [eventIds[2], eventIds[1]],
  );
  const next = (await (
    await sec.fetch('/v1/security/search', { body: { credential: 'cccd-qr', limit: 2, cursor: first.nextCursor } })
  ).json()) as { events: Array<{ id: string }> };
  t.same(
    next.events.map((e) => e.id),
    [eventIds[0]],
  );
});

t.test(
  'the CSV export is a text/csv attachment with a header row, bounded by its limit, and audited with its row count',
  async (t) => {
    const res = await sec.fetch('/v1/security/export', { body: { credential: 'cccd-qr', limit: 2 } });
    t.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    t.match(
      res.headers.get('content-disposition'),
      /^attachment; filename="gate06-hn-tamchuc-gate-a-\d{8}-\d{4}\.csv"$/,
    );
    const lines = (await res.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    t.equal(
      lines[0],
      'id,seq,time,type,lane,direction,credential,decision,reason,idMasked,latencyMs,refId,faceScore,by,why,reasonWords',
    );
    t.equal(lines.length, 3);
    t.match(lastAudit(), { action: 'events.export', rows: 2 });
  },
);

t.test('event detail shows the decrypted personal fields to the security role, and audits it', async (t) => {
  const d = (await (await sec.fetch(`/v1/security/events/${eventIds[0]}`)).json()) as { personal: unknown };
  t.same(d.personal, { state: 'shown', name: `${alice!.surname} ${alice!.givenNames}`, idNumber: alice!.id });
  t.match(lastAudit(), { actor: 'sec', action: 'event.detail', filter: { eventId: eventIds[0], personal: 'shown' } });
});

t.test('event detail hides personal fields from an admin and from a staff integration token', async (t) => {
  const byAdmin = (await (await admin.fetch(`/v1/security/events/${eventIds[0]}`)).json()) as { personal: unknown };
  t.same(byAdmin.personal, { state: 'hidden' });
  const byToken = (await (
    await fetch(`${h.url}/v1/security/events/${eventIds[0]}`, { headers: { authorization: STAFF } })
  ).json()) as { personal: unknown };
  t.same(byToken.personal, { state: 'hidden' });
});

t.test('a staff bearer token can search without a CSRF token (no cookie, no CSRF risk)', async (t) => {
  const res = await fetch(`${h.url}/v1/security/search`, {
    method: 'POST',
    headers: { authorization: STAFF, 'content-type': 'application/json' },
    body: JSON.stringify({ idNumber: alice!.id }),
  });
  t.equal(res.status, 200);
  t.match(lastAudit(), { actor: 'integration-token-0', action: 'events.search' });
});

t.test('a malformed ID number is refused with 400 and the message does not repeat it', async (t) => {
  const res = await sec.fetch('/v1/security/search', { body: { idNumber: '12345abc' } });
  t.equal(res.status, 400);
  t.notMatch(await res.text(), '12345abc');
});

t.test('watchlist hits are listed for security staff and the read is audited', async (t) => {
  h.gw.core.alarms.raise('watchlist-hit', 'L1', { listVersion: 3 });
  const body = (await (await sec.fetch('/v1/security/watchlist-hits')).json()) as {
    events: Array<{ type: string; facts: { kind: string } }>;
  };
  t.equal(body.events.length, 1);
  t.equal(body.events[0]!.facts.kind, 'watchlist-hit');
  t.match(lastAudit(), { action: 'watchlist.hits', rows: 1 });
});

t.test('the audit log is for admins: security staff get 403, an admin reads it', async (t) => {
  t.equal((await sec.fetch('/v1/admin/audit')).status, 403);
  const res = await admin.fetch('/v1/admin/audit?limit=50');
  t.equal(res.status, 200);
  const { entries } = (await res.json()) as { entries: Array<{ action: string }> };
  t.ok(entries.some((e) => e.action === 'events.export'));
});
