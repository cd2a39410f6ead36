// gate06 log verify on a log that started a new segment after its file was deleted under the gateway.
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { run } from '../../cli/log.js';
import { EventStore } from '../../gateway/store/event-store.js';
import { factEvent } from '../../gateway/store/types.js';

t.test('a log restarted after its file was deleted verifies, and says where the new segment began', async (t) => {
  const path = join(t.testdir(), 'g.db');
  const store = new EventStore({ path });
  store.append(factEvent('system', null, { note: 'before' }));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) unlinkSync(f);
  t.match(store.probe(), { ok: true, reopened: 'lost' });
  store.append(factEvent('system', null, { note: 'after' }));
  store.close();
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  let code: number;
  try {
    code = await run(['verify', '--db', path]);
  } finally {
    console.log = log;
  }
  t.equal(code, 0, 'the new segment is intact');
  const out = JSON.parse(lines[0]!) as {
    ok: boolean;
    events: number;
    restarts: Array<{ seq: number; action: string }>;
  };
  t.match(out, { ok: true, events: 2, restarts: [{ seq: 1, action: 'log-lost' }] });
});
