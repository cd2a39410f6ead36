// The store watch: free space below the threshold raises disk-space-low once (re-armed with a margin), an
// outage raises store-unavailable once and is probed until it ends, and the writes owed meanwhile are
// written in order once the store is back.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import t, { type Test } from 'tap';
import type { AlarmKind } from '../../../gateway/events.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import { StoreWatch } from '../../../gateway/store/store-watch.js';
import { factEvent } from '../../../gateway/store/types.js';
import { until } from '../../helpers/harness.js';
import { failOnUnhandledRejection } from '../../helpers/unhandled.js';

failOnUnhandledRejection(t);

const MB = 1024 * 1024;

function watchOver(t: Pick<Test, 'testdir' | 'teardown'>, freeMb: { now: number }) {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path, busyTimeoutMs: 10 });
  const raised: Array<{ kind: AlarmKind; detail: Record<string, string | number | boolean> }> = [];
  const watch = new StoreWatch({
    store,
    logger: pino({ level: 'silent' }),
    raise: (kind, _lane, detail) => raised.push({ kind, detail }),
    path,
    checkEveryMs: 20,
    probeEveryMs: 20,
    minFreeBytes: 100 * MB,
    minFreePercent: 1,
    // A 10 GB file system with `freeMb.now` free, 4 KB blocks.
    statfs: async () => ({ bavail: (freeMb.now * MB) / 4096, blocks: (10240 * MB) / 4096, bsize: 4096 }),
  });
  watch.start();
  t.teardown(() => {
    watch.stop();
    store.close();
  });
  return { store, watch, raised, path };
}

t.test('free space below minFreeMb raises disk-space-low once, and it re-arms only with a margin', async (t) => {
  const free = { now: 5000 };
  const { watch, raised } = watchOver(t, free);
  await until(() => watch.status().freeBytes === 5000 * MB, 5000, 'first statfs');
  t.equal(watch.status().diskLow, false);
  free.now = 90;
  await until(() => watch.status().diskLow, 5000, 'disk low');
  t.match(raised, [{ kind: 'disk-space-low', detail: { freeMb: 90 } }]);
  free.now = 105; // above the threshold, inside the 10 % margin: still low, no new alarm
  await until(() => watch.status().freeBytes === 105 * MB, 5000);
  t.equal(watch.status().diskLow, true);
  free.now = 200;
  await until(() => !watch.status().diskLow, 5000, 'disk ok again');
  free.now = 50;
  await until(() => watch.status().diskLow, 5000, 'low again');
  t.equal(raised.filter((r) => r.kind === 'disk-space-low').length, 2, 'one alarm per crossing');
});

t.test('an outage raises store-unavailable once, owes writes, and writes them in order once back', async (t) => {
  const { store, watch, raised, path } = watchOver(t, { now: 5000 });
  const locker = new Database(path);
  locker.exec('BEGIN EXCLUSIVE');
  t.throws(() => store.append(factEvent('system', null, { n: 0 })));
  t.match(watch.status(), { available: false, problem: 'locked' });
  for (let n = 1; n <= 3; n++) watch.writeOrOwe('test', () => store.append(factEvent('system', null, { n })));
  t.equal(watch.status().owed, 3);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(raised.filter((r) => r.kind === 'store-unavailable').length, 1, 'raised once, not per probe');
  let recovered = 0;
  watch.onRecovered(() => {
    recovered += 1;
  });
  locker.exec('COMMIT');
  locker.close();
  await until(() => watch.status().available, 5000, 'back');
  t.equal(watch.status().owed, 0);
  t.equal(recovered, 1);
  t.same(
    store
      .query({ type: 'system', limit: 10 })
      .reverse()
      .map((e) => e.facts.n),
    [1, 2, 3],
    'owed writes in order',
  );
});
