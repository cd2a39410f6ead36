// kill -9 of a running gateway: a real child process is killed with SIGKILL (no stop(), no close()), then the
// same database is opened again. Every passage must be counted in exactly one window.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestBroker, uniqueId } from '../../helpers/broker.js';
import {
  Collector,
  distinctWindows,
  FakeClock,
  gateConfig,
  newTelemetry,
  openStore,
  T0,
  tempDir,
  totals,
} from './fixtures/gate.js';

const MINUTE = 60_000;
const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));

function startChild(args: string[]) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffered = '';
  const acks: Array<() => void> = [];
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      buffered = buffered.slice(i + 1);
      acks.shift()?.();
    }
  });
  const send = (line: string) =>
    new Promise<void>((resolve) => {
      acks.push(resolve);
      proc.stdin!.write(`${line}\n`);
    });
  return { proc, send };
}

t.test('after kill -9 every passage is counted in exactly one window, none lost, none doubled', async (t) => {
  const broker = await startTestBroker();
  t.teardown(() => broker.stop());
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const dbPath = join(dir, 'gw.db');
  const site = uniqueId('site');
  const gate = uniqueId('gate');
  const collector = await Collector.connect(broker.url, site, gate, { persistent: true });
  t.teardown(() => collector.close());

  const { proc, send } = startChild([dbPath, broker.url, site, gate, String(T0)]);
  let passages = 0;
  const passLine = async (lane: string, dir: 'in' | 'out') => {
    await send(`pass ${lane} ${dir}`);
    passages += 1;
  };
  for (let i = 0; i < 5; i++) await passLine('L1', 'in');
  await send(`advance ${MINUTE}`);
  await send('tick');
  await collector.until(() => collector.counts().length >= 1);
  // more passages land in the open window, then a window closes by event and is queued; then the crash
  for (let i = 0; i < 3; i++) await passLine('L2', 'in');
  await send(`advance ${MINUTE}`);
  await passLine('L1', 'out');
  await passLine('L1', 'out');
  proc.kill('SIGKILL');
  await once(proc, 'exit');

  const clock = new FakeClock(T0 + 2 * MINUTE + 1);
  const store = openStore(dbPath, clock);
  const config = gateConfig({ url: broker.url, site, gate });
  const telemetry = newTelemetry({ config, store }, clock);
  await telemetry.start();
  clock.advance(MINUTE);
  telemetry.tick();
  // stop() closes the window opened after the restart early (empty here): seq 4
  await telemetry.stop();
  await collector.until(() => distinctWindows(collector.counts()).size >= 4);
  store.close();

  const windows = distinctWindows(collector.counts());
  t.same(
    [...windows.keys()].sort((a, b) => a - b),
    [1, 2, 3, 4],
    'seq continues across the crash with no gap',
  );
  t.same(totals(windows), { in: 8, out: 2, denied: 0 });
  t.equal(passages, 10);
  const starts = [...windows.values()].map((w) => (JSON.parse(w) as { windowStart: number }).windowStart);
  t.equal(new Set(starts).size, starts.length, 'no window key is published twice with different content');
});
