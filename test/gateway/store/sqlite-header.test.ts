// The database header check: the header SQLite writes passes, anything else (garbage, a short or zeroed
// file, another page size, a damaged fixed field) fails with a reason, and no bytes at all make it throw.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { EventStore } from '../../../gateway/store/event-store.js';
import { checkSqliteHeader } from '../../../gateway/store/sqlite-header.js';
import { factEvent } from '../../../gateway/store/types.js';

function realHeader(dir: string): Buffer {
  const path = join(dir, 'h.db');
  const store = new EventStore({ path });
  store.close();
  return readFileSync(path).subarray(0, 100);
}

t.test("the event store's own header passes at its page size, and only at it", async (t) => {
  const header = realHeader(t.testdir());
  t.same(checkSqliteHeader(header, 4096), { ok: true, value: true });
  t.match(checkSqliteHeader(header, 8192), { ok: false, reason: 'header.page-size' });
});

t.test('a new log whose schema is still only in the WAL passes', async (t) => {
  const path = join(t.testdir(), 'new.db');
  const store = new EventStore({ path });
  store.append(factEvent('system', null, { action: 'first' }));
  t.same(checkSqliteHeader(readFileSync(path).subarray(0, 100), 4096), { ok: true, value: true });
  t.equal(store.headerDefect(), null);
  store.close();
});

t.test('garbage, a zeroed file and a short file are rejected with a reason', async (t) => {
  t.match(checkSqliteHeader(Buffer.alloc(100), 4096), { ok: false, reason: 'header.magic' });
  t.match(checkSqliteHeader(Buffer.alloc(0), 4096), { ok: false, reason: 'header.short' });
  t.match(checkSqliteHeader(Buffer.from('SQLite format 3\0'), 4096), { ok: false, reason: 'header.short' });
});

t.test('a damaged fixed field behind an intact magic is rejected', async (t) => {
  const header = realHeader(t.testdir());
  for (const offset of [18, 19, 21, 22, 23, 47, 59, 80]) {
    const bad = Buffer.from(header);
    bad[offset] = 0x7f;
    t.match(checkSqliteHeader(bad, 4096), { ok: false }, `byte ${offset}`);
  }
});

t.test('fast-check: any bytes give a verdict without throwing; random bytes never pass', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(512, 1024, 4096, 65536), (bytes, pageSize) => {
      const r = checkSqliteHeader(bytes, pageSize);
      return r.ok === false && typeof r.reason === 'string';
    }),
  );
  // The real header with any one byte after the magic replaced: never a throw, and a pass only if the byte
  // is one the check does not cover (the change counter and the like), never for the page size.
  const header = realHeader(t.testdir());
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 255 }), (offset, value) => {
      const bytes = Buffer.from(header);
      bytes[offset] = value;
      const r = checkSqliteHeader(bytes, 4096);
      if ((offset === 16 || offset === 17 || offset < 16) && value !== header[offset]) return r.ok === false;
      return typeof r.ok === 'boolean';
    }),
  );
  t.pass('no counterexample');
});

t.test(
  "the header check keeps the daemon's locks: another process that reads the log cannot delete the live WAL",
  async (t) => {
    const path = join(t.testdir(), 'live.db');
    const store = new EventStore({ path });
    t.teardown(() => store.close());
    const commit = (n: number) => {
      for (let i = 0; i < n; i++) store.append(factEvent('system', null, { action: `e${i}` }));
    };
    // Another process's view of the log: a backup or report script, the sqlite3 shell. Python's sqlite3 (the
    // system's libsqlite3) is such a reader; it deletes the WAL on close when no other process holds a lock on the
    // database file, which better-sqlite3's newer SQLite does not do while the -shm is held.
    const countFromAnotherProcess = (): number => {
      const r = spawnSync(
        'python3',
        [
          '-c',
          'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nprint(c.execute("SELECT count(*) FROM events").fetchone()[0])\nc.close()',
          path,
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      return Number(r.stdout);
    };
    commit(20);
    const before = countFromAnotherProcess();
    t.equal(store.headerDefect(), null, 'the store watch checks the header, as it does every period');
    t.equal(countFromAnotherProcess(), before, 'another process reads the log and closes it');
    t.ok(existsSync(`${path}-wal`), 'the WAL the daemon writes is still there');
    commit(20);
    t.equal(countFromAnotherProcess(), before + 20, 'what the daemon committed after it is in the log others read');
  },
);
