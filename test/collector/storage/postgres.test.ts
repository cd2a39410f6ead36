import { randomBytes } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { foldBatch } from '../../../collector/storage/batch.js';
import { dropPostgresSchema, openPostgresStore } from '../../../collector/storage/postgres.js';
import { countsRecord } from '../fixtures.js';
import { analyticsSpec } from './analytics-spec.js';
import { storeSpec } from './store-spec.js';

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const schema = `t_collector_${randomBytes(5).toString('hex')}`;

async function reachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => {});
  }
}

const why = await reachable();
if (why) {
  t.plan(
    0,
    `PostgreSQL not reachable at ${url.replace(/\/\/[^@]*@/, '//')} (${why}); set DATABASE_URL to run the PostgreSQL store tests`,
  );
} else {
  t.teardown(() => dropPostgresSchema(url, schema));
  storeSpec(t, () => openPostgresStore(url, schema));
  t.teardown(() => dropPostgresSchema(url, `${schema}_a`));
  analyticsSpec(t, () => openPostgresStore(url, `${schema}_a`), { numRuns: 40 });

  t.test('a store from before the rollups gets them built from its windows when it opens', async (t) => {
    const old = `${schema}_up`;
    t.teardown(() => dropPostgresSchema(url, old));
    const T0 = 1_767_200_400_000;
    let store = await openPostgresStore(url, old);
    await store.write(foldBatch([countsRecord('s-up', 'g1', T0 + 3_600_000, [{ lane: 'L1', in: 7, out: 1 }])]));
    await store.close();
    // As an older collector left it: windows, no rollups.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      `DELETE FROM ${old}.lane_hourly; DELETE FROM ${old}.site_hourly; DELETE FROM ${old}.lane_daily; DELETE FROM ${old}.rollup_meta`,
    );
    await c.end();
    store = await openPostgresStore(url, old);
    t.teardown(() => store.close());
    const q = { site: 's-up', from: T0, to: T0 + 86_400_000, groupBy: 'site', utcOffsetMinutes: 420 } as const;
    t.match(await store.analytics({ ...q, grain: 'day' }), [{ in: 7, out: 1 }], 'daily rollup');
    t.match(await store.analytics({ ...q, grain: 'hour' }), [{ in: 7, out: 1 }], 'site hourly rollup');
    t.match(await store.analytics({ ...q, grain: 'hour', groupBy: 'lane' }), [{ in: 7, out: 1 }], 'lane hourly rollup');
  });

  t.test(
    'hours a collector wrote but had not yet rolled up when it died are rolled up by the next to open',
    async (t) => {
      const s2 = `${schema}_crash`;
      t.teardown(() => dropPostgresSchema(url, s2));
      const T0 = 1_767_200_400_000;
      // A refresh that would come in an hour: the process "dies" first (its pool is never closed, nor refreshed).
      const dying = await openPostgresStore(url, s2, { rollupDelayMs: 3_600_000 });
      await dying.write(foldBatch([countsRecord('s-c', 'g1', T0 + 3_600_000, [{ lane: 'L1', in: 4, out: 2 }])]));
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      t.teardown(() => c.end());
      const hourly = async () =>
        (await c.query(`SELECT n_in::int AS "in", n_out::int AS "out" FROM ${s2}.lane_hourly`)).rows;
      t.same(await hourly(), [], 'not rolled up yet: the hour is pending');
      const next = await openPostgresStore(url, s2);
      t.teardown(() => next.close());
      t.same(await hourly(), [{ in: 4, out: 2 }], 'rolled up when the next collector opened the store');
      t.same(
        (await c.query(`SELECT n_in::int AS "in" FROM ${s2}.site_hourly`)).rows,
        [{ in: 4 }],
        'site hourly rollup too',
      );
      // The dying store's timer is an hour away and unref'd; end its pool without its closing refresh.
      await (dying as unknown as { close(): Promise<void> }).close();
    },
  );

  t.test('a read right after a write sees the write in every rollup, before the delayed refresh', async (t) => {
    const s3 = `${schema}_fresh`;
    t.teardown(() => dropPostgresSchema(url, s3));
    const T0 = 1_767_200_400_000;
    const store = await openPostgresStore(url, s3, { rollupDelayMs: 3_600_000 });
    t.teardown(() => store.close());
    const q = { site: 's-f', from: T0, to: T0 + 86_400_000, utcOffsetMinutes: 420 } as const;
    for (const n of [3, 5]) {
      // The second write overwrites the window (a redelivery with other counts): rollups follow, never add.
      await store.write(foldBatch([countsRecord('s-f', 'g1', T0 + 3_600_000, [{ lane: 'L1', in: n, out: 0 }])]));
      t.match(await store.analytics({ ...q, grain: 'day', groupBy: 'site' }), [{ in: n }], `daily: ${n}`);
      t.match(await store.analytics({ ...q, grain: 'hour', groupBy: 'total' }), [{ in: n }], `site hourly: ${n}`);
      t.match(await store.analytics({ ...q, grain: 'hour', groupBy: 'lane' }), [{ in: n }], `lane hourly: ${n}`);
      t.match(await store.hourOfDay(q), [{ hour: 1, in: n }], `hour of day: ${n}`);
    }
  });

  t.test(
    'days on a clock whose offset is not whole hours (UTC+5:30) are counted from the windows, exactly',
    async (t) => {
      const s4 = `${schema}_half`;
      t.teardown(() => dropPostgresSchema(url, s4));
      const store = await openPostgresStore(url, s4, { utcOffsetMinutes: 330 });
      t.teardown(() => store.close());
      // Local midnight of a day at UTC+5:30 is 18:30 UTC the day before: half-way through a UTC hour.
      const localMidnight = Date.UTC(2026, 0, 2) - 330 * 60_000;
      await store.write(foldBatch([countsRecord('s-h', 'g1', localMidnight, [{ lane: 'L1', in: 5, out: 0 }])]));
      const q = { site: 's-h', from: localMidnight, to: localMidnight + 86_400_000, utcOffsetMinutes: 330 } as const;
      t.match(await store.analytics({ ...q, grain: 'minute', groupBy: 'site' }), [{ in: 5 }]);
      t.match(await store.analytics({ ...q, grain: 'day', groupBy: 'site' }), [{ bucketStart: localMidnight, in: 5 }]);
    },
  );
}
