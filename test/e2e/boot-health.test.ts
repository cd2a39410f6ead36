// A device missing when the daemon boots must reach the IOC like one lost later: the lanes report their
// links as they open their ports, so telemetry has to be listening before the first lane starts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import type { z } from 'zod';
import { AlarmPayload, HealthPayload } from '../../contracts/topics.js';
import { startDaemon, writeConfig } from '../../sim/daemon.js';
import { hasSocat } from '../../sim/pty.js';
import { SimRig } from '../../sim/rig.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { demoConfig, sleep } from '../helpers/harness.js';

if (!hasSocat())
  t.plan(0, 'socat is not installed (apt-get install socat): this test runs the daemon over pseudo-terminals');
else
  t.test('a turnstile board missing at boot: device-offline alarm and a degraded lane in health', async (t) => {
    const broker = await startTestBroker();
    t.teardown(() => broker.stop());
    const site = uniqueId('boot');
    const dir = mkdtempSync(join(tmpdir(), 'gate06-boot-'));
    const config = demoConfig((c) => {
      c.site.id = site;
      c.mqtt = {
        url: broker.url,
        windowSeconds: 5,
        outboxMax: 1000,
        healthIntervalS: 2,
        categoryMinCount: 3,
        protocolVersion: 4,
        insecureUnsignedCommands: false,
        commandRateLimits: { 'free-passage': 20, resend: 4, watchlist: 6 },
      };
      c.devices.offlineAfterMs = 300;
    });
    const rig = await SimRig.start(config, { transport: 'pty', dir: join(dir, 'tty') });
    t.teardown(() => rig.stop());
    // L2's board is not plugged in: its port does not exist.
    rig.config.gate.lanes[1]!.turnstile.port.path = join(dir, 'tty', 'no-such-board');

    const alarms: Array<z.infer<typeof AlarmPayload>> = [];
    const health: Array<z.infer<typeof HealthPayload>> = [];
    const spy = await mqtt.connectAsync(broker.url, { clientId: uniqueId('spy') });
    t.teardown(() => spy.endAsync());
    spy.on('message', (topic, body) => {
      if (topic.endsWith('/alarms')) alarms.push(AlarmPayload.parse(JSON.parse(body.toString())));
      if (topic.endsWith('/health')) health.push(HealthPayload.parse(JSON.parse(body.toString())));
    });
    await spy.subscribeAsync(`gate06/v1/${site}/#`, { qos: 1 });

    const daemon = await startDaemon(writeConfig(rig.config, dir));
    t.teardown(() => daemon.stop());
    const offline = () => alarms.find((a) => a.kind === 'device-offline' && a.lane === 'L2');
    const degraded = () =>
      health.find(
        (h) =>
          h.lanes.some((l) => l.lane === 'L2' && l.degraded) &&
          h.devices.some((d) => d.lane === 'L2' && d.device === 'turnstile' && d.state === 'down'),
      );
    for (let waited = 0; waited < 20_000 && !(offline() && degraded()); waited += 100) await sleep(100);
    t.ok(offline(), `device-offline alarm for L2 published (alarms: ${JSON.stringify(alarms.map((a) => a.kind))})`);
    t.match(offline()?.detail, { device: 'turnstile' });
    t.ok(degraded(), `health shows L2 degraded with its board down (last: ${JSON.stringify(health.at(-1))})`);
    t.notOk(
      health.some((h) => h.lanes.some((l) => l.lane === 'L1' && l.degraded)),
      'L1, whose devices are all there, is never shown degraded',
    );
  });
