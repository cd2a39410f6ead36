import t from 'tap';
import { SessionStore } from '../../../gateway/auth/sessions.js';
import { EventStore } from '../../../gateway/store/event-store.js';

function setup() {
  const events = new EventStore({ path: ':memory:' });
  const db = events.db;
  const clock = { t: 1_000_000 };
  const store = new SessionStore(events.repos.auth, () => clock.t, { idleMs: 10_000, absoluteMs: 100_000 });
  db.prepare("INSERT INTO auth_users (name, role, password_hash, created_at) VALUES ('op', 'operator', 'x', 0)").run();
  return { db, clock, store };
}

t.test('a new session is found by its token with its role and CSRF token', async (t) => {
  const { store } = setup();
  const { token, session } = store.create('op', 'operator');
  t.match(store.find(token), { userName: 'op', role: 'operator', csrf: session.csrf });
});

t.test('a session left idle too long is gone', async (t) => {
  const { store, clock } = setup();
  const { token } = store.create('op', 'operator');
  clock.t += 10_000;
  t.equal(store.find(token), null);
});

t.test('activity keeps a session alive, but not past its absolute lifetime', async (t) => {
  const { store, clock } = setup();
  const { token } = store.create('op', 'operator');
  for (let i = 0; i < 10; i++) {
    clock.t += 9_000; // always back within the idle limit
    store.touch(token);
  }
  t.ok(store.find(token), '90 s of activity, still logged in');
  clock.t = 1_000_000 + 100_000;
  t.equal(store.find(token), null, 'absolute lifetime reached');
});

t.test('a destroyed session is gone', async (t) => {
  const { store } = setup();
  const { token } = store.create('op', 'operator');
  store.destroy(token);
  t.equal(store.find(token), null);
});

t.test('unknown and oversized tokens find nothing', async (t) => {
  const { store } = setup();
  t.equal(store.find('nope'), null);
  t.equal(store.find('x'.repeat(500)), null);
});
