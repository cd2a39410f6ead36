// Faults around a decision that are not its verdict: each still ends in an answer and a logged denial (or, at
// start, in a daemon that runs and denies), never in a decision that hangs or a start that fails.
import t from 'tap';
import { DecisionService } from '../../../gateway/lane/decision-service.js';
import type { FaceCheck } from '../../../gateway/lane/ports.js';
import { DEVICE_TOKEN, demoConfig, startHarness, ticket } from '../../helpers/harness.js';

t.test('a face check that throws (camera or model fault) is denied face.unavailable and logged', async (t) => {
  const throwingFace: FaceCheck = {
    check: async () => {
      throw new Error('wasm backend aborted');
    },
  };
  const config = demoConfig((c) => {
    c.gate.lanes[0]!.entry!.face.requireFor = ['ticket'];
  });
  const h = await startHarness({ config, extra: { ports: { face: throwingFace } } });
  t.teardown(() => h.stop());
  const res = await fetch(`${h.url}/v1/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEVICE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ lane: h.config.gate.lanes[0]!.id, credential: { kind: 'ticket', token: await ticket({}) } }),
  });
  const body = (await res.json()) as { decision: string; reason: string; eventId: string };
  t.equal(res.status, 200);
  t.match(body, { decision: 'deny', reason: 'face.unavailable' });
  t.equal(h.gateway.core.store.get(body.eventId)?.reason, 'face.unavailable', 'the denial is in the log');
  t.match(h.logs.lines.join('\n'), /face check failed.*wasm backend aborted|wasm backend aborted.*face check failed/);
});

t.test('a log that cannot be read at start does not stop the decision service from being built', async (t) => {
  const warnings: string[] = [];
  const unreadable = {
    repos: {
      admission: {
        load: () => {
          throw Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
        },
      },
    },
  };
  t.doesNotThrow(
    () =>
      new DecisionService({
        config: demoConfig(),
        store: unreadable as never,
        bus: { emit: () => {} } as never,
        ticketKeys: () => ({}) as never,
        siteKey: Buffer.from('DEMO-site-key'),
        now: Date.now,
        onAlarm: () => {},
        logger: { warn: ((_f: object, msg: string) => void warnings.push(msg)) as never, error: () => {} },
      }),
  );
  t.match(warnings, [/not built at start/]);
});
