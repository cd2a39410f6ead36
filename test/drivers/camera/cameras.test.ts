import t from 'tap';
import { looksLikeJpeg } from '../../../drivers/camera/jpeg.js';
import { MjpegCamera } from '../../../drivers/camera/mjpeg-camera.js';
import { SnapshotCamera } from '../../../drivers/camera/snapshot-camera.js';
import { DeviceError } from '../../../drivers/device.js';
import { scenes, VirtualCamera } from '../../../sim/devices/virtual-camera.js';

const until = async (what: () => boolean, label: string): Promise<void> => {
  // Event-driven waits with a generous cap: no timing is asserted, only the final state.
  for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!what()) throw new Error(`gave up waiting for: ${label}`);
};

async function virtualCamera(t: { teardown(fn: () => Promise<void> | void): void }, opts = {}): Promise<VirtualCamera> {
  const cam = new VirtualCamera(scenes.empty(), { fps: 20, ...opts });
  await cam.start();
  t.teardown(() => cam.stop());
  return cam;
}

t.test('a snapshot camera returns a JPEG and reports up', async (t) => {
  const sim = await virtualCamera(t);
  const cam = new SnapshotCamera({ url: `${sim.url}/snapshot.jpg`, probeIntervalMs: 0 });
  t.teardown(() => cam.stop());
  await cam.start();
  t.ok(looksLikeJpeg(await cam.snapshot()));
  t.match(cam.health(), { kind: 'camera', state: 'up' });
  t.ok(cam.health().lastSeenAt > 0);
});

t.test(
  'a snapshot camera that cannot be reached rejects with a disconnected DeviceError and reports down',
  async (t) => {
    const sim = await virtualCamera(t);
    const url = `${sim.url}/snapshot.jpg`;
    await sim.stop();
    const cam = new SnapshotCamera({ url, probeIntervalMs: 0, timeoutMs: 1000 });
    await cam.start();
    const err = await cam.snapshot().catch((e: unknown) => e);
    t.ok(err instanceof DeviceError);
    t.equal((err as DeviceError).flags.disconnected, true);
    t.equal(cam.health().state, 'down');
  },
);

t.test('a snapshot camera answering with something else than a JPEG counts a rejected frame', async (t) => {
  const sim = await virtualCamera(t);
  const cam = new SnapshotCamera({ url: `${sim.url}/nothing-here`, probeIntervalMs: 0 });
  await t.rejects(cam.snapshot(), DeviceError);
  const cam2 = new SnapshotCamera({ url: `${sim.url}/snapshot.jpg`, probeIntervalMs: 0, maxFrameBytes: 100 });
  await t.rejects(cam2.snapshot(), /frame-too-large/);
  t.equal(cam2.health().rejectedFrames, 1);
});

t.test('a snapshot burst returns the number of frames asked for', async (t) => {
  const sim = await virtualCamera(t);
  const cam = new SnapshotCamera({ url: `${sim.url}/snapshot.jpg`, probeIntervalMs: 0 });
  const frames = await cam.burst(3, 10);
  t.equal(frames.length, 3);
  t.ok(frames.every(looksLikeJpeg));
  await t.rejects(cam.burst(0, 10), TypeError);
});

for (const partContentLength of [true, false]) {
  t.test(
    `an MJPEG camera delivers fresh frames and bursts (Content-Length in parts: ${partContentLength})`,
    async (t) => {
      const sim = await virtualCamera(t, { partContentLength });
      const cam = new MjpegCamera({ url: `${sim.url}/mjpeg` });
      t.teardown(() => cam.stop());
      await cam.start();
      t.ok(looksLikeJpeg(await cam.snapshot()));
      const frames = await cam.burst(4, 50);
      t.equal(frames.length, 4);
      t.equal(new Set(frames.map((f) => f.toString('base64'))).size, 4, 'four different frames');
      t.equal(cam.health().state, 'up');
      t.equal(cam.health().rejectedFrames, 0);
    },
  );
}

t.test('an MJPEG camera goes down when the camera stops and comes back up when it restarts', async (t) => {
  const sim = await virtualCamera(t);
  const changes: string[] = [];
  const cam = new MjpegCamera({
    url: `${sim.url}/mjpeg`,
    downAfterMs: 300,
    backoff: { initialMs: 50, maxMs: 200 },
    onLinkChange: (s) => changes.push(s),
  });
  t.teardown(() => cam.stop());
  await cam.start();
  await cam.snapshot();
  t.equal(cam.health().state, 'up');
  await sim.stop();
  await until(() => cam.health().state === 'down', 'camera down');
  await t.rejects(cam.snapshot(), DeviceError);
  await sim.start();
  await until(() => cam.health().state === 'up', 'camera up again');
  t.ok(looksLikeJpeg(await cam.snapshot()));
  t.ok(cam.health().reconnects >= 1);
  t.same(changes.slice(0, 3), ['up', 'down', 'up']);
});

t.test('an MJPEG camera pointed at a non-stream URL stays down and says why', async (t) => {
  const sim = await virtualCamera(t);
  const cam = new MjpegCamera({ url: `${sim.url}/snapshot.jpg`, backoff: { initialMs: 50, maxMs: 100 } });
  t.teardown(() => cam.stop());
  await cam.start();
  t.equal(cam.health().state, 'down');
  t.match(cam.health().lastError, /not-mjpeg/);
});

t.test('stop() ends a pending snapshot wait instead of leaving it hanging', async (t) => {
  const cam = new MjpegCamera({
    url: 'http://127.0.0.1:9/mjpeg',
    timeoutMs: 200,
    backoff: { initialMs: 50, maxMs: 100 },
  });
  await cam.start();
  await t.rejects(cam.snapshot(), DeviceError);
  await cam.stop();
  const err = await cam.snapshot().catch((e: unknown) => e);
  t.ok(err instanceof DeviceError && err.flags.canceled);
});
