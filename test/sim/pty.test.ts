import { existsSync } from 'node:fs';
import t from 'tap';
import { hasSocat, PtyPair, SOCAT_MISSING } from '../../sim/pty.js';

t.test('the missing-socat error names the package to install', async (t) => {
  t.match(SOCAT_MISSING, /apt-get install socat/);
});

t.test('socat pty pairs', { skip: hasSocat() ? false : SOCAT_MISSING }, async (t) => {
  t.test('open creates both links and bytes cross from one end to the other', async (t) => {
    const pair = await PtyPair.open();
    t.teardown(() => pair.close());
    t.ok(existsSync(pair.gatewayPath) && existsSync(pair.devicePath));
    const a = await pair.deviceChannel('qr-scanner');
    const { SerialConnection } = await import('../../drivers/serial/connection.js');
    const { openSerialPort } = await import('../../drivers/serial/link.js');
    const b = new SerialConnection({
      kind: 'qr-scanner',
      port: { path: pair.gatewayPath, baudRate: 9600 },
      opener: openSerialPort,
      reconnect: { initialMs: 10, maxMs: 50 },
      liveness: { kind: 'port-open' },
    });
    await b.start();
    t.teardown(async () => {
      await a.stop();
      await b.stop();
    });
    const got = new Promise<Buffer>((resolve) => b.once('data', resolve));
    await a.write(Buffer.from('ping'));
    t.equal((await got).toString(), 'ping');
  });

  t.test('unplug removes both paths and replug recreates them on the same paths', async (t) => {
    const pair = await PtyPair.open();
    t.teardown(() => pair.close());
    await pair.unplug();
    t.equal(existsSync(pair.gatewayPath) || existsSync(pair.devicePath), false);
    t.equal(pair.plugged, false);
    await pair.replug();
    t.ok(existsSync(pair.gatewayPath) && existsSync(pair.devicePath));
  });

  t.test('close removes the temporary folder', async (t) => {
    const pair = await PtyPair.open();
    await pair.close();
    t.equal(existsSync(pair.gatewayPath), false);
  });
});
