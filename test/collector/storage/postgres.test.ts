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
    await c.query(`DELETE FROM ${old}.lane_hourly; DELETE FROM ${old}.lane_daily; DELETE FROM ${old}.rollup_meta`);
    await c.end();
    store = await openPostgresStore(url, old);
    t.teardown(() => store.close());
    const q = { site: 's-up', from: T0, to: T0 + 86_400_000, groupBy: 'site', utcOffsetMinutes: 420 } as const;
    t.match(await store.analytics({ ...q, grain: 'day' }), [{ in: 7, out: 1 }], 'daily rollup');
    t.match(await store.analytics({ ...q, grain: 'hour' }), [{ in: 7, out: 1 }], 'hourly rollup');
  });
}
