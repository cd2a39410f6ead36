// The Gateway's one job: start the features in order, stop the started ones in reverse (each even when
// another fails), and close the store last. Fake features and a fake core: no store, devices or HTTP.
import t from 'tap';
import type { Feature } from '../../gateway/feature.js';
import { Gateway, type GatewayCore } from '../../gateway/gateway.js';

function fixture(names: string[], opts: { failStart?: string; failStop?: string } = {}) {
  const calls: string[] = [];
  const errors: Array<{ feature?: string }> = [];
  const core = {
    logger: { info: () => {}, error: (fields: { feature?: string }) => errors.push(fields) },
    lanes: new Map(),
    store: { bootId: 'boot-1', close: () => calls.push('store closed') },
    bus: { removeOwner: () => {} },
    metrics: {},
  } as unknown as GatewayCore;
  const features = names.map(
    (name): Feature => ({
      name,
      start: async () => {
        if (name === opts.failStart) throw new Error(`${name} cannot start`);
        calls.push(`start ${name}`);
      },
      stop: async () => {
        calls.push(`stop ${name}`);
        if (name === opts.failStop) throw new Error(`${name} cannot stop`);
      },
    }),
  );
  return { gateway: new Gateway(core, features, () => 'http://127.0.0.1:1'), calls, errors };
}

t.test('features start in order and stop in reverse, then the store closes', async (t) => {
  const f = fixture(['store watch', 'telemetry', 'lane L1', 'http listener']);
  await f.gateway.start();
  await f.gateway.stop();
  t.same(f.calls, [
    'start store watch',
    'start telemetry',
    'start lane L1',
    'start http listener',
    'stop http listener',
    'stop lane L1',
    'stop telemetry',
    'stop store watch',
    'store closed',
  ]);
});

t.test('a feature that fails to stop is logged and the others still stop', async (t) => {
  const f = fixture(['a', 'b', 'c'], { failStop: 'b' });
  await f.gateway.start();
  await f.gateway.stop();
  t.same(f.calls.slice(3), ['stop c', 'stop b', 'stop a', 'store closed']);
  t.match(f.errors, [{ feature: 'b' }]);
});

t.test('a failed start stops there; stop undoes only what started', async (t) => {
  const f = fixture(['a', 'b', 'c'], { failStart: 'b' });
  await t.rejects(f.gateway.start(), /b cannot start/);
  await f.gateway.stop();
  t.same(f.calls, ['start a', 'stop a', 'store closed']);
});
