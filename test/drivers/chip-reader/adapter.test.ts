import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { SerialChipReader } from '../../../drivers/chip-reader/adapter.js';
import type { ChipRead, ChipReadError } from '../../../drivers/chip-reader/index.js';
import { makeCard } from '../../../sim/cards/make-card.js';
import { TRAN_THI_MAU } from '../../../sim/cards/people.js';
import { VirtualChipReader } from '../../../sim/devices/virtual-chip-reader.js';
import { MockSerialPair } from '../../../sim/mock-port.js';

const FACE = fileURLToPath(new URL('../../fixtures/chip/face-small.jpg', import.meta.url));
const card = await makeCard({ person: TRAN_THI_MAU, facePhoto: FACE, signingTime: new Date('2025-06-01T00:00:00Z') });

async function setUp(t: Test, options: { linkSilenceMs?: number; heartbeatMs?: number } = {}) {
  const pair = new MockSerialPair('chip');
  const reader = new SerialChipReader({
    port: { path: pair.path, baudRate: 115200 },
    opener: pair.opener,
    // The simulated reader writes its chunks from this same process: on a loaded box (CI, load average 9 on 2
    // cores) a chunk came 291 ms after the one before and a 200 ms timeout called a good frame truncated. A
    // second leaves room for that and still keeps the truncation test short.
    interByteTimeoutMs: 1000,
    linkSilenceMs: options.linkSilenceMs ?? 60_000,
    reconnect: { initialMs: 10, maxMs: 50 },
  });
  // Chunks of 2 KB: the ~10 KB test card spans several CARD_DATA frames, like a real read.
  const sim = new VirtualChipReader(pair.device, { heartbeatMs: options.heartbeatMs ?? 60_000, chunkBytes: 2048 });
  const up = once(reader, 'link');
  await reader.start();
  sim.start();
  await up;
  t.teardown(async () => {
    sim.stop();
    await reader.stop();
  });
  return { pair, reader, sim };
}

function sameFiles(t: Test, got: ChipRead, want: ChipRead) {
  t.ok(got.sod.equals(want.sod), 'EF.SOD unchanged');
  t.ok(got.com?.equals(want.com!), 'EF.COM unchanged');
  t.same([...got.dataGroups.keys()], [...want.dataGroups.keys()]);
  for (const [n, bytes] of want.dataGroups) t.ok(got.dataGroups.get(n)?.equals(bytes), `DG${n} unchanged`);
}

/** The next card; an error first fails at once with its detail instead of leaving the test waiting. */
async function nextCard(reader: SerialChipReader): Promise<ChipRead> {
  const ac = new AbortController();
  try {
    const [read] = (await Promise.race([
      once(reader, 'card', { signal: ac.signal }),
      once(reader, 'readError', { signal: ac.signal }).then(([e, d]) =>
        Promise.reject(new Error(`readError ${e}: ${d}`)),
      ),
    ])) as [ChipRead, number];
    return read;
  } finally {
    ac.abort();
  }
}

const nextError = (reader: SerialChipReader) => once(reader, 'readError') as Promise<[ChipReadError, string]>;

t.test('a card presented on the reader arrives whole, with every file unchanged', async (t) => {
  const { reader, sim } = await setUp(t);
  const arrived = nextCard(reader);
  await sim.present(card);
  sameFiles(t, await arrived, card);
});

t.test('a corrupted frame mid-read gives frame.corrupt, no card, and counts a rejected frame', async (t) => {
  const { reader, sim } = await setUp(t);
  let cards = 0;
  reader.on('card', () => cards++);
  const error = nextError(reader);
  await sim.present(card, { fault: 'corrupt-frame' });
  t.equal((await error)[0], 'frame.corrupt');
  t.equal(cards, 0);
  t.ok(reader.health().rejectedFrames >= 1);
});

t.test('a frame cut off mid-way gives frame.truncated', async (t) => {
  const { reader, sim } = await setUp(t);
  const error = nextError(reader);
  await sim.present(card, { fault: 'truncated-frame' });
  t.equal((await error)[0], 'frame.truncated');
});

t.test('a card pulled after the first chunk gives card-removed', async (t) => {
  const { reader, sim } = await setUp(t);
  let cards = 0;
  reader.on('card', () => cards++);
  const error = nextError(reader);
  await sim.present(card, { fault: 'card-pulled' });
  t.equal((await error)[0], 'card-removed');
  t.equal(cards, 0);
});

t.test('a reader that cannot open the card reports access-denied', async (t) => {
  const { reader, sim } = await setUp(t);
  const error = nextError(reader);
  await sim.present(card, { fault: 'access-denied' });
  t.equal((await error)[0], 'access-denied');
});

t.test('garbage on the line, then a card: the card still arrives', async (t) => {
  const { reader, sim } = await setUp(t);
  const arrived = once(reader, 'card');
  await sim.sendGarbage(200);
  await sim.present(card);
  const [read] = (await arrived) as [ChipRead, number];
  sameFiles(t, read, card);
});

t.test('after a corrupted read, the next presentation of the card arrives', async (t) => {
  const { reader, sim } = await setUp(t);
  const error = nextError(reader);
  await sim.present(card, { fault: 'corrupt-frame' });
  await error;
  const arrived = nextCard(reader);
  await sim.present(card);
  sameFiles(t, await arrived, card);
});

t.test('a reader that stops sending heartbeats is reported down, and up again when it resumes', async (t) => {
  const { reader, sim } = await setUp(t, { linkSilenceMs: 200, heartbeatMs: 40 });
  const down = once(reader, 'link');
  sim.goSilent();
  t.equal((await down)[0], 'down');
  t.equal(reader.health().state, 'down');
  const up = once(reader, 'link');
  sim.resume();
  t.equal((await up)[0], 'up');
});

t.test('sendFeedback reaches the reader as ok or deny', async (t) => {
  const { reader, sim } = await setUp(t);
  const first = once(sim, 'feedback');
  await reader.sendFeedback(true);
  t.same(await first, ['ok']);
  const second = once(sim, 'feedback');
  await reader.sendFeedback(false);
  t.same(await second, ['deny']);
});

t.test('the gateway acknowledges a card frame by its sequence number', async (t) => {
  const { sim } = await setUp(t);
  const acked = once(sim, 'ack');
  await sim.present(card);
  t.type((await acked)[0], 'number');
});

t.test('an unplugged reader is reported down, reconnects after replug, and delivers cards again', async (t) => {
  const { pair, reader, sim } = await setUp(t, { heartbeatMs: 20 });
  const down = once(reader, 'link');
  pair.unplug();
  t.equal((await down)[0], 'down');
  const up = once(reader, 'link');
  pair.replug();
  t.equal((await up)[0], 'up');
  t.ok(reader.health().reconnects >= 1);
  const arrived = nextCard(reader);
  await sim.present(card);
  sameFiles(t, await arrived, card);
});

t.test(
  'property: whatever bytes precede it, a card presented afterwards still arrives and nothing throws',
  async (t) => {
    const { pair, reader, sim } = await setUp(t);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (noise) => {
        const arrived = once(reader, 'card');
        // A hang guard, not a speed check: a card that never comes fails with the noise that caused it.
        let guard: NodeJS.Timeout | undefined;
        const hang = new Promise<never>((_, reject) => {
          guard = setTimeout(
            () =>
              reject(
                new Error(
                  `no card after noise ${Buffer.from(noise).toString('hex')}; ${JSON.stringify(reader.health())}`,
                ),
              ),
            20_000,
          );
        });
        await pair.device.write(noise);
        await sim.present(card);
        try {
          const [read] = (await Promise.race([arrived, hang])) as [ChipRead, number];
          return read.sod.equals(card.sod);
        } finally {
          clearTimeout(guard);
        }
      }),
      { numRuns: 10 },
    );
    t.equal(reader.health().state, 'up');
  },
);
