// Personal fields kept by a site are purged when their retention ends (here: a simulated clock jumps 31 days
// and the gateway restarts, as a box would run its retention). What must survive the purge: the events
// themselves, today's-style counts over them, and the hash chain (checked by `gate06 log verify` too).
import t from 'tap';
import { run as logCommand } from '../../../cli/log.js';
import { countsSince } from '../../../gateway/console/today-counts.js';
import { cccdQrText, syntheticPerson } from '../../../sim/people/population.js';
import { seededRandom } from '../../../sim/random.js';
import { ApiClient, type Harness, PASSWORDS, startHarness, until } from '../console/harness.js';

const DAY = 86400_000;
const rnd = seededRandom(4242);
const people = [syntheticPerson(rnd, 1), syntheticPerson(rnd, 2)]; // SYNTHETIC

async function walkIn(h: Harness, text: string): Promise<void> {
  const before = h.gw.core.store.query({ type: 'passage', limit: 1 })[0]?.seq ?? 0;
  const unlocked = new Promise((r) => h.rig.lane('L1').turnstile.once('unlock', r));
  await h.rig.lane('L1').qr.in!.scan(text);
  await unlocked;
  await h.rig.lane('L1').turnstile.holdSensor('in', 1000);
  await until(() => (h.gw.core.store.query({ type: 'passage', limit: 1 })[0]?.seq ?? 0) > before, 'the passage');
  await new Promise((r) => setTimeout(r, 150)); // let the arm settle before the next person (see privacy-scan.test.ts)
}

const personalRows = (h: Harness): number =>
  (h.gw.core.store.db.prepare('SELECT count(*) AS n FROM event_personal').get() as { n: number }).n;

t.test(
  'after the retention period personal fields are gone, while events, counts and the hash chain remain',
  async (t) => {
    const clock = { offset: 0 };
    const now = (): number => Date.now() + clock.offset;
    const first = await startHarness({ personal: true, now });
    const dir = first.dir;
    const start = now() - 1000;
    for (const p of people) await walkIn(first, cccdQrText(p));
    const decisionId = first.gw.core.store.query({ type: 'decision', limit: 1 })[0]!.id;
    t.equal(personalRows(first), 2, 'both people kept, encrypted');
    await first.stop({ keepDir: true });

    clock.offset = 31 * DAY; // personal retention is 30 days; the event log keeps 90
    const second = await startHarness({ personal: true, now, dir });
    t.teardown(() => second.stop());

    t.equal(personalRows(second), 0, 'personal fields purged at start-up retention');
    t.same(
      countsSince(second.gw.core.store, start, ['L1']).map((c) => [c.lane, c.in]),
      [['L1', 2]],
      'both passages still counted',
    );
    t.same(
      second.gw.core.store.verifyChain(),
      { ok: true, events: second.gw.core.store.verifyChain().events },
      'the chain verifies',
    );

    const sec = new ApiClient(second.url);
    await sec.login('sec', PASSWORDS.sec);
    const detail = (await (await sec.fetch(`/v1/security/events/${decisionId}`)).json()) as {
      event: { idMasked: string };
      personal: { state: string };
    };
    t.equal(detail.personal.state, 'none', 'event detail has no personal fields left');
    t.equal(detail.event.idMasked.length, 12, 'the masked ID stays with the event');

    const printed: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void printed.push(a.join(' '));
    const code = await logCommand(['verify', '--db', second.dbPath]).finally(() => {
      console.log = log;
    });
    t.equal(code, 0, 'gate06 log verify exits 0');
    t.match(JSON.parse(printed.join('')), { ok: true });
  },
);

// DELETE alone leaves the ciphertext in SQLite's free pages, where the key the gateway still holds decrypts it:
// the store runs with secure_delete and checkpoints after a purge.
t.test('purged personal ciphertext is no longer in the database file', async (t) => {
  const { readFileSync } = await import('node:fs');
  const clock = { offset: 0 };
  const now = (): number => Date.now() + clock.offset;
  const first = await startHarness({ personal: true, now });
  await walkIn(first, cccdQrText(people[0]!));
  const blob = (first.gw.core.store.db.prepare('SELECT blob FROM event_personal').get() as { blob: Buffer }).blob;
  await first.stop({ keepDir: true });
  clock.offset = 31 * DAY;
  const second = await startHarness({ personal: true, now, dir: first.dir });
  await second.stop({ keepDir: true });
  t.equal(readFileSync(second.dbPath).indexOf(blob.subarray(28)), -1);
  const { rmSync } = await import('node:fs');
  rmSync(first.dir, { recursive: true, force: true });
});
