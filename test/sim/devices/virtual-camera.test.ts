import t from 'tap';
import { looksLikeJpeg } from '../../../drivers/camera/jpeg.js';
import { featuresFromLandmarks, scenes, VirtualCamera } from '../../../sim/devices/virtual-camera.js';
import { fixture } from '../../fixtures/liveness/models.js';

t.test('serves a JPEG snapshot of the current scene on 127.0.0.1', async (t) => {
  const cam = new VirtualCamera(scenes.stillPhoto(fixture('p9-img12.jpg')));
  await cam.start();
  t.teardown(() => cam.stop());
  t.match(cam.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${cam.url}/snapshot.jpg`);
  t.equal(res.headers.get('content-type'), 'image/jpeg');
  t.ok(looksLikeJpeg(Buffer.from(await res.arrayBuffer())));
});

t.test('serves an MJPEG stream with a boundary', async (t) => {
  const cam = new VirtualCamera(scenes.empty(), { fps: 20 });
  await cam.start();
  t.teardown(() => cam.stop());
  const ac = new AbortController();
  const res = await fetch(`${cam.url}/mjpeg`, { signal: ac.signal });
  t.match(res.headers.get('content-type'), /^multipart\/x-mixed-replace; boundary=gate06sim$/);
  const reader = res.body!.getReader();
  const first = await reader.read();
  t.match(
    Buffer.from(first.value!).toString('latin1'),
    /^--gate06sim\r\nContent-Type: image\/jpeg\r\nContent-Length: \d+/,
  );
  ac.abort();
});

t.test('the still-photo scene changes from frame to frame only by noise', async (t) => {
  const scene = scenes.stillPhoto(fixture('p9-img12.jpg'));
  const [a, b] = [await scene.frame(0), await scene.frame(1)];
  t.not(a.toString('base64'), b.toString('base64'));
  t.ok(looksLikeJpeg(a) && looksLikeJpeg(b));
});

t.test('the live scene needs features or two photos', async (t) => {
  t.throws(() => scenes.live([fixture('p9-img12.jpg')]), TypeError);
  t.doesNotThrow(() => scenes.live([fixture('p1-img5.jpg'), fixture('p1-img11.jpg')]));
});

t.test('features come from the eye and mouth landmarks', async (t) => {
  const l = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    l[2 * i] = i;
    l[2 * i + 1] = 2 * i;
  }
  const f = featuresFromLandmarks(l);
  t.equal(f.eyes.length, 2);
  t.equal(f.eyes[0].cx, (36 + 41) / 2);
  t.equal(f.mouth.width, 59 - 48);
});

t.test('an unknown path is 404 and switching scenes takes effect', async (t) => {
  const cam = new VirtualCamera(scenes.empty());
  await cam.start();
  t.teardown(() => cam.stop());
  t.equal((await fetch(`${cam.url}/nope`)).status, 404);
  cam.show(scenes.stillPhoto(fixture('p9-img12.jpg')));
  t.ok(looksLikeJpeg(Buffer.from(await (await fetch(`${cam.url}/snapshot.jpg`)).arrayBuffer())));
});

t.test('a person asked to blink shows the still frames except for one blink, 0.3 s after the prompt', async (t) => {
  const photo = fixture('p9-img12.jpg');
  // Eye regions of p9-img12 in photo pixels (from its landmarks; only where the lids go matters here).
  const features = {
    eyes: [
      { cx: 182, cy: 196, width: 40, height: 12 },
      { cx: 262, cy: 196, width: 40, height: 12 },
    ],
    mouth: { cx: 222, cy: 300, width: 60, height: 20 },
  };
  const still = scenes.stillPhoto(photo);
  const asked = scenes.blinkWhenAsked(photo, features);
  const same = async (i: number) => (await still.frame(i)).equals(await asked.frame(i));
  t.ok(await same(0), 'frame 0: not yet');
  t.notOk(await same(4), 'frame 4: the eyes are shut');
  t.ok(await same(12), 'frame 12: still again');
});

t.test('pixel noise saturates instead of wrapping bright pixels round to black', async (t) => {
  const white = await (await import('sharp'))
    .default({
      create: { width: 64, height: 64, channels: 3, background: { r: 255, g: 255, b: 255 } },
    })
    .jpeg()
    .toBuffer();
  const frame = await scenes.stillPhoto(white).frame(0);
  const { data } = await (await import('sharp')).default(frame).raw().toBuffer({ resolveWithObject: true });
  // The photo fills the middle of the frame: no pixel there may be dark.
  const row = 240 * 640 * 3;
  let darkest = 255;
  for (let x = 200; x < 440; x++) darkest = Math.min(darkest, data[row + 3 * x]!);
  t.ok(darkest > 200, `darkest ${darkest}`);
});
