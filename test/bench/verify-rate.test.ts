// The verify benchmark's pinning (--pin): which taskset call moves a server, and the clear errors where
// pinning cannot be done. The rates themselves are measured by `npm run bench`, never by a test.
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import t from 'tap';
import { checkPinnable, PIN_LOAD_CORE, PIN_SERVER_CORE, pinArgs, pinProcess } from '../../bench/verify-rate.js';

const fakeRun =
  (r: Partial<SpawnSyncReturns<string>>) =>
  (..._args: unknown[]): SpawnSyncReturns<string> =>
    ({ pid: 0, output: [], stdout: '', stderr: '', status: 0, signal: null, ...r }) as SpawnSyncReturns<string>;
const hasTaskset = !spawnSync('taskset', ['--version']).error;

t.test('the servers and the load generator go to different cores, every thread of each', async (t) => {
  t.not(PIN_SERVER_CORE, PIN_LOAD_CORE);
  t.same(pinArgs(4321, 1), ['-a', '-p', '-c', '1', '4321']);
});

t.test('without taskset, --pin says what is missing instead of running unpinned', async (t) => {
  const missing = Object.assign(new Error('spawnSync taskset ENOENT'), { code: 'ENOENT' });
  t.throws(() => pinProcess(1, 0, fakeRun({ error: missing }) as never), /--pin needs taskset \(util-linux/);
  t.throws(() => checkPinnable(2, fakeRun({ error: missing }) as never), /--pin needs taskset/);
});

t.test('a taskset that refuses is an error with its own words, and one core is not enough', async (t) => {
  t.throws(
    () =>
      pinProcess(
        1,
        7,
        fakeRun({ status: 1, stderr: 'taskset: failed to set pid 1 affinity: Invalid argument' }) as never,
      ),
    /failed to set pid 1 affinity/,
  );
  t.throws(() => checkPinnable(1, fakeRun({}) as never), /at least 2 cores, this machine has 1/);
});

t.test('a pinned process runs on that core only', { skip: !hasTaskset || availableParallelism() < 2 }, async (t) => {
  const child = spawn('sleep', ['30']);
  t.teardown(() => child.kill());
  pinProcess(child.pid!, PIN_SERVER_CORE);
  const shown = spawnSync('taskset', ['-c', '-p', String(child.pid)], { encoding: 'utf8' }).stdout;
  t.match(shown, new RegExp(`current affinity list: ${PIN_SERVER_CORE}\\s*$`));
});
