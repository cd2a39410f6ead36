import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openSqliteStore } from '../../../collector/storage/sqlite.js';
import { analyticsSpec } from './analytics-spec.js';
import { storeSpec } from './store-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'gate06-cstore-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
storeSpec(t, async () => openSqliteStore(join(dir, 'c.db')));
analyticsSpec(t, async () => openSqliteStore(join(dir, 'a.db')), { numRuns: 100 });
