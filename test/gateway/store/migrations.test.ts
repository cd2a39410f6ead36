// The one migration runner: each owner of tables brings its own steps, each step runs once, in order, and a
// file made before the split (the event log's old steps created other owners' tables) keeps its rows.
import Database from 'better-sqlite3';
import t from 'tap';
import { EventStore } from '../../../gateway/store/event-store.js';
import { EVENT_LOG_FEATURE, type FeatureMigrations, migrate } from '../../../gateway/store/migrations.js';
import { GATEWAY_SCHEMA } from '../../../gateway/store/schema.js';
import { factEvent } from '../../../gateway/store/types.js';

const versions = (db: Database.Database): Record<string, number> =>
  Object.fromEntries(
    (
      db.prepare('SELECT feature, version FROM schema_versions').all() as Array<{ feature: string; version: number }>
    ).map((r) => [r.feature, r.version]),
  );

t.test('a new file gets every owner of tables at its latest step, the event log in user_version', async (t) => {
  const store = new EventStore({ path: ':memory:' });
  t.teardown(() => store.close());
  const expected = Object.fromEntries(
    GATEWAY_SCHEMA.filter((o) => o.feature !== EVENT_LOG_FEATURE).map((o) => [o.feature, o.steps.length]),
  );
  t.same(versions(store.db), expected);
  t.equal(store.db.pragma('user_version', { simple: true }), 3);
  for (const table of ['events', 'ticket_uses', 'presence', 'audit_log', 'event_personal', 'auth_users', 'tel_outbox'])
    t.ok(store.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table), table);
});

t.test('each step runs once, in order, and a later step added to an owner runs on the next open', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  const ran: string[] = [];
  const owner = (steps: number): FeatureMigrations => ({
    feature: 'notes',
    steps: Array.from({ length: steps }, (_, i) => () => void ran.push(`notes ${i + 1}`)),
  });
  t.same(migrate(db, [owner(1)]), { notes: { from: 0, to: 1 } });
  t.same(migrate(db, [owner(1)]), { notes: { from: 1, to: 1 } });
  t.same(migrate(db, [owner(3)]), { notes: { from: 1, to: 3 } });
  t.same(ran, ['notes 1', 'notes 2', 'notes 3']);
});

t.test('a step that fails rolls back alone and leaves its version where it was', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  const steps = [
    (d: Database.Database) => d.exec('CREATE TABLE a (x)'),
    (d: Database.Database) => {
      d.exec('CREATE TABLE b (x)');
      throw new Error('step 2 broke');
    },
  ];
  t.throws(() => migrate(db, [{ feature: 'notes', steps }]), /step 2 broke/);
  t.same(versions(db), { notes: 1 });
  t.notOk(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'b'").get(), 'step 2 left nothing behind');
});

t.test('a file from a newer gateway is refused, naming the owner, and an owner cannot register twice', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrate(db, [{ feature: 'notes', steps: [() => {}, () => {}] }]);
  t.throws(() => migrate(db, [{ feature: 'notes', steps: [() => {}] }]), /notes is 2, newer than this gateway \(1\)/);
  const twice = { feature: 'x', steps: [] };
  t.throws(() => migrate(db, [twice, twice]), /registered twice/);
});

t.test('a file made by the old event log steps (its tables, no owner versions) is adopted with its rows', async (t) => {
  const db = new Database(':memory:');
  // What the event log's shipped steps 1 and 2 left: every table of theirs, user_version 2, no schema_versions.
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE ticket_uses (tid TEXT PRIMARY KEY, uses INTEGER NOT NULL, last_ts INTEGER NOT NULL);
    CREATE TABLE presence (subject TEXT NOT NULL, zone TEXT NOT NULL, inside INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (subject, zone));
    CREATE TABLE audit_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
      action TEXT NOT NULL, filter TEXT NOT NULL DEFAULT '{}', rows INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL DEFAULT 'ok');
    INSERT INTO ticket_uses VALUES ('T-1', 2, 1);
    INSERT INTO audit_log (ts, actor, role, action) VALUES (1, 'sec', 'security', 'events.search');
  `);
  // The events table as step 1 made it: the runner must not make it again.
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, boot_id TEXT NOT NULL,
    ts INTEGER NOT NULL, type TEXT NOT NULL, lane TEXT, direction TEXT, credential TEXT, decision TEXT, reason TEXT,
    id_hash TEXT, id_masked TEXT, latency_ms REAL, ref_id TEXT, facts TEXT NOT NULL DEFAULT '{}', prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL)`);
  db.pragma('user_version = 2');
  migrate(db, GATEWAY_SCHEMA);
  t.equal((db.prepare("SELECT uses FROM ticket_uses WHERE tid = 'T-1'").get() as { uses: number }).uses, 2);
  t.equal((db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n, 1);
  t.equal(db.pragma('user_version', { simple: true }), 3, 'the event log gained its effects column');
  t.equal(versions(db).admission, 2);
  db.close();
});

t.test('the tables come back with the migrations when the file is deleted under the store', async (t) => {
  const { mkdtempSync, rmSync, unlinkSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'gate06-migrate-'));
  const store = new EventStore({ path: join(dir, 'gw.db') });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const use = (ts: number) =>
    store.append({ ...factEvent('decision', 'L1', {}), ts, effects: { tid: 'T-1', uses: 1 } });
  use(1);
  unlinkSync(join(dir, 'gw.db'));
  t.match(store.probe(), { ok: true, reopened: 'lost' });
  // The use counts are the gateway's memory of the log: a file lost under it does not make a used ticket new.
  t.equal(store.repos.admission.ticketUses('T-1'), 1, 'the use is remembered and written into the new file');
  use(2);
  t.equal(store.repos.admission.ticketUses('T-1'), 2, 'its statements were prepared on the new connection');
  t.ok(store.repos.auth.users(), 'other owners have their tables again');
  store.append(factEvent('system', null, { action: 'after' }));
  t.match(store.verifyChain(), { ok: true, events: 3 });
  store.close();
  const again = new EventStore({ path: join(dir, 'gw.db') });
  t.equal(again.repos.admission.ticketUses('T-1'), 2, 'the new file alone gives both uses at the next boot');
  again.close();
});
