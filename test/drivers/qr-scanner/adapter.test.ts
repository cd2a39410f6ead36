// The QR scanner adapter over node-serialport's mock binding, driven by the simulator's VirtualQrScanner.

import t from 'tap';
import { SerialQrScanner } from '../../../drivers/qr-scanner/adapter.js';
import { VirtualQrScanner } from '../../../sim/devices/virtual-qr-scanner.js';
import { MockSerialPair } from '../../../sim/mock-port.js';
import { hasSocat, PtyPair, SOCAT_MISSING } from '../../../sim/pty.js';
import { nextEvent } from '../../helpers/events.js';

const devices = {
  offlineAfterMs: 300,
  reconnectInitialMs: 10,
  reconnectMaxMs: 50,
  qrMaxLength: 64,
  qrInterByteTimeoutMs: 300,
};

const next = nextEvent;

async function setup(t: { teardown(fn: () => unknown): void }, options: { plugged?: boolean } = {}) {
  const pair = new MockSerialPair('qr');
  if (options.plugged === false) pair.unplug();
  const adapter = new SerialQrScanner({ port: { path: pair.path, baudRate: 9600 }, devices, opener: pair.opener });
  const device = new VirtualQrScanner(pair.device);
  t.teardown(() => adapter.stop());
  return { pair, adapter, device };
}

t.test('a scan sent by the scanner arrives as one scan event with its text', async (t) => {
  const { adapter, device } = await setup(t);
  const up = next(adapter, 'link', (s) => s === 'up');
  await adapter.start();
  await up;
  const scan = next(adapter, 'scan');
  await device.scan('TICKET.eyJ0aWQiOiJ4In0.sig');
  const [text, at] = await scan;
  t.equal(text, 'TICKET.eyJ0aWQiOiJ4In0.sig');
  t.type(at, 'number');
});

t.test('CRLF-terminated scans arrive once each with no rejects', async (t) => {
  const { adapter, device } = await setup(t);
  await adapter.start();
  device.setTerminator('CRLF');
  const texts: string[] = [];
  const rejects: string[] = [];
  adapter.on('scan', (text) => texts.push(text));
  adapter.on('rejected', (reason) => rejects.push(reason));
  const second = next(adapter, 'scan', (text) => text === 'Nữ Hà Nam');
  await device.scan('first');
  await device.scan('Nữ Hà Nam');
  await second;
  t.same(texts, ['first', 'Nữ Hà Nam']);
  t.same(rejects, []);
});

t.test(
  'bytes that are not UTF-8 are rejected with frame.bad-utf8 and counted, and the next scan still arrives',
  async (t) => {
    const { adapter, device } = await setup(t);
    await adapter.start();
    const rejected = next(adapter, 'rejected');
    await device.sendGarbage(Uint8Array.from([0xff, 0xfe, 0x41, 0x0d]));
    t.same(await rejected, ['frame.bad-utf8', 3]);
    t.equal(adapter.health().rejectedFrames, 1);
    const scan = next(adapter, 'scan');
    await device.scan('after-garbage');
    t.equal((await scan)[0], 'after-garbage');
  },
);

t.test('a line longer than qrMaxLength is rejected with frame.too-long', async (t) => {
  const { adapter, device } = await setup(t);
  await adapter.start();
  const rejected = next(adapter, 'rejected');
  await device.scan('x'.repeat(devices.qrMaxLength + 10));
  t.equal((await rejected)[0], 'frame.too-long');
});

t.test('a half line that stalls is dropped as frame.timeout and does not corrupt the next scan', async (t) => {
  const { adapter, device } = await setup(t);
  await adapter.start();
  const rejected = next(adapter, 'rejected');
  await device.sendGarbage(Buffer.from('half-a-scan'));
  t.same(await rejected, ['frame.timeout', 11]);
  const scan = next(adapter, 'scan');
  await device.scan('whole');
  t.equal((await scan)[0], 'whole');
});

t.test('a slow scanner writing byte by byte within the inter-byte timeout still gives one intact scan', async (t) => {
  const { adapter, device } = await setup(t);
  await adapter.start();
  device.setSlow(2);
  const scan = next(adapter, 'scan');
  await device.scan('slow-but-steady');
  t.equal((await scan)[0], 'slow-but-steady');
});

t.test('unplug reports the scanner down; replug brings it up again and scans work, with no restart', async (t) => {
  const { pair, adapter, device } = await setup(t);
  await adapter.start();
  const down = next(adapter, 'link', (s) => s === 'down');
  pair.unplug();
  const [, reason] = await down;
  t.match(reason, /unplugged/);
  t.equal(adapter.health().state, 'down');
  const up = next(adapter, 'link', (s) => s === 'up');
  pair.replug();
  await up;
  t.equal(adapter.health().reconnects, 1);
  const scan = next(adapter, 'scan');
  await device.scan('back-again');
  t.equal((await scan)[0], 'back-again');
});

t.test('a scanner missing at start is reported down, then up once it is plugged in', async (t) => {
  const { pair, adapter } = await setup(t, { plugged: false });
  const down = next(adapter, 'link', (s) => s === 'down');
  await adapter.start();
  t.match((await down)[1], /open failed/);
  const up = next(adapter, 'link', (s) => s === 'up');
  pair.replug();
  await up;
  t.equal(adapter.health().state, 'up');
});

t.test(
  'over a socat pty: unplug reports down, replug brings the scanner back and scans arrive, with no restart',
  { skip: hasSocat() ? false : SOCAT_MISSING },
  async (t) => {
    const pair = await PtyPair.open();
    const deviceEnd = await pair.deviceChannel('qr-scanner');
    const adapter = new SerialQrScanner({ port: { path: pair.gatewayPath, baudRate: 9600 }, devices });
    t.teardown(async () => {
      await adapter.stop();
      await deviceEnd.stop();
      await pair.close();
    });
    const device = new VirtualQrScanner(deviceEnd, { terminator: 'CRLF' });
    await adapter.start();
    let scan = next(adapter, 'scan');
    await device.scan('before-unplug');
    t.equal((await scan)[0], 'before-unplug');

    const down = next(adapter, 'link', (s) => s === 'down');
    await pair.unplug();
    await down;
    const up = next(adapter, 'link', (s) => s === 'up');
    await pair.replug();
    await up;
    // The device end reconnects on its own schedule; scan until its bytes get through.
    scan = next(adapter, 'scan', (text) => text === 'after-replug');
    const retry = setInterval(() => void device.scan('after-replug').catch(() => {}), 50);
    try {
      await scan;
    } finally {
      clearInterval(retry);
    }
    t.equal(adapter.health().reconnects, 1);
  },
);
