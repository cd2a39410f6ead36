import t from 'tap';
import { FaceEvidence, imageType } from '../../../gateway/face/face-evidence.js';

const jpeg = (n: number) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(n, 7)]);

t.test('pictures are kept under a random key and given back', async (t) => {
  const e = new FaceEvidence();
  const key = e.keep({ live: jpeg(10), reference: jpeg(20) });
  t.match(key, /^[0-9a-f]{24}$/);
  t.not(e.keep({ live: jpeg(10) }), key, 'a new key each time');
  t.same(e.get(key), { live: jpeg(10), reference: jpeg(20) });
  t.equal(e.get('0'.repeat(24)), null);
});

t.test('pictures are dropped after keepMs', async (t) => {
  let now = 1_000_000;
  const e = new FaceEvidence({ keepMs: 60_000, monotonicNow: () => now });
  const key = e.keep({ live: jpeg(1) });
  now += 59_999;
  t.ok(e.get(key));
  now += 1;
  t.equal(e.get(key), null);
  t.equal(e.size, 0, 'nothing left in memory');
});

t.test('at most maxDecisions are kept; the oldest go first', async (t) => {
  const e = new FaceEvidence({ maxDecisions: 3 });
  const keys = [1, 2, 3, 4].map((n) => e.keep({ live: jpeg(n) }));
  t.equal(e.size, 3);
  t.equal(e.get(keys[0]!), null);
  t.ok(e.get(keys[3]!));
});

t.test('imageType names JPEG and PNG and refuses what a browser cannot show', async (t) => {
  t.equal(imageType(jpeg(1)), 'image/jpeg');
  t.equal(imageType(Buffer.from('89504e470d0a1a0a0000', 'hex')), 'image/png');
  t.equal(imageType(Buffer.from('0000000c6a5020200d0a870a', 'hex')), null, 'JPEG 2000 (a real DG2 often is)');
  t.equal(imageType(Buffer.alloc(0)), null);
});

t.test('a wall-clock step back does not keep the pictures past keepMs: the default clock is monotonic', async (t) => {
  const wallNow = Date.now;
  let wallStep = 0;
  Date.now = () => wallNow() + wallStep;
  t.teardown(() => {
    Date.now = wallNow;
  });
  const e = new FaceEvidence({ keepMs: 40 });
  const key = e.keep({ live: jpeg(1) });
  wallStep = 10 * 60_000;
  t.ok(e.get(key), 'a step forward does not drop them early');
  wallStep = -10 * 60_000;
  await new Promise((r) => setTimeout(r, 60));
  t.equal(e.get(key), null, 'dropped 40 ms on, whatever the wall clock says');
});
