// The log file deleted under a running gateway takes the console accounts with it (they live in the same
// database). What must still hold: the gateway re-opens an empty log, the accounts' tables exist again, and a
// login answers 401 (an admin re-adds accounts with `gate06 user add`), never a 500 from a missing table.
import { existsSync, unlinkSync } from 'node:fs';
import t from 'tap';
import { until } from '../../helpers/harness.js';
import { failOnUnhandledRejection } from '../../helpers/unhandled.js';
import { ApiClient, PASSWORDS, startHarness } from '../console/harness.js';

failOnUnhandledRejection(t);

t.test('after the log file is deleted and re-opened, login is a clean 401 and a re-added account works', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.stop());
  t.equal((await new ApiClient(h.url).login('op', PASSWORDS.op)).status, 200, 'the account works before');

  for (const f of [h.dbPath, `${h.dbPath}-wal`, `${h.dbPath}-shm`]) if (existsSync(f)) unlinkSync(f);
  await until(() => h.logs.some((l) => l.includes('EVENT LOG LOST')), 15_000, 'the log re-opened empty');

  const after = await new ApiClient(h.url).login('op', PASSWORDS.op);
  t.equal(after.status, 401, 'the account went with the file: a refusal, not a server error');
  const { UserStore } = await import('../../../gateway/auth/users.js');
  await new UserStore(h.gw.core.store.repos.auth).add('op2', 'operator', 'operator-pass-0002');
  t.equal((await new ApiClient(h.url).login('op2', 'operator-pass-0002')).status, 200, 'a re-added account logs in');
});
