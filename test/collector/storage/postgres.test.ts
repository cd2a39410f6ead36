import { randomBytes } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { dropPostgresSchema, openPostgresStore } from '../../../collector/storage/postgres.js';
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
}
