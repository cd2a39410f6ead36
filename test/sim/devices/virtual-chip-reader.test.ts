import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { decodeCardBody } from '../../../drivers/chip-reader/card-body.js';
import { decodeMessage, encodeMessage, type Message } from '../../../drivers/chip-reader/codec.js';
import { Deframer, type DeframerOutput, encodeFrame } from '../../../drivers/chip-reader/framing.js';
import type { ByteChannel } from '../../../drivers/serial/link.js';
import { makeCard } from '../../../sim/cards/make-card.js';
import { NGUYEN_VAN_A } from '../../../sim/cards/people.js';
import { VirtualChipReader } from '../../../sim/devices/virtual-chip-reader.js';

/** A channel that keeps what the reader wrote and lets the test play the gateway. */
class RecordingChannel extends EventEmitter<{ data: [Buffer] }> implements ByteChannel {
  written: Buffer[] = [];
  write(bytes: Uint8Array): Promise<void> {
    this.written.push(Buffer.from(bytes));
    return Promise.resolve();
  }
  outputs(gapMs = 0): DeframerOutput[] {
    const d = new Deframer({ interByteTimeoutMs: 10 });
    return [...d.push(Buffer.concat(this.written), 0), ...d.expire(gapMs)];
  }
  messages(): Message[] {
    return this.outputs().flatMap((o) => {
      if (o.kind !== 'frame') return [];
      const m = decodeMessage(o.frame);
      return m.ok ? [m.value] : [];
    });
  }
}

const card = await makeCard({ person: NGUYEN_VAN_A, signingTime: new Date('2025-06-01T00:00:00Z') });

t.test(
  'present sends CARD_PRESENT, then chunks whose joined bytes are the card body, the last one final',
  async (t) => {
    const ch = new RecordingChannel();
    await new VirtualChipReader(ch, { chunkBytes: 1000 }).present(card);
    const messages = ch.messages();
    t.equal(messages[0].type, 'card-present');
    const chunks = messages.filter((m) => m.type === 'card-data');
    t.ok(chunks.length > 1, 'several chunks');
    t.same(
      chunks.map((c) => c.final),
      [...chunks.slice(1).map(() => false), true],
    );
    const body = decodeCardBody(Buffer.concat(chunks.map((c) => c.data)));
    t.ok(body.ok && body.value.sod.equals(card.sod) && body.value.dataGroups.get(2)?.equals(card.dataGroups.get(2)!));
  },
);

t.test('start sends a heartbeat at once, announcing its interval', async (t) => {
  const ch = new RecordingChannel();
  const sim = new VirtualChipReader(ch, { heartbeatMs: 60_000 });
  sim.start();
  t.teardown(() => sim.stop());
  await sleep(0);
  t.same(ch.messages(), [{ type: 'heartbeat', intervalMs: 60_000 }]);
});

t.test('a silent reader sends no more heartbeats', async (t) => {
  const ch = new RecordingChannel();
  const sim = new VirtualChipReader(ch, { heartbeatMs: 5 });
  sim.start();
  t.teardown(() => sim.stop());
  sim.goSilent();
  const before = ch.written.length;
  await sleep(50);
  t.equal(ch.written.length, before);
});

t.test('the corrupt-frame fault sends a data chunk whose CRC fails', async (t) => {
  const ch = new RecordingChannel();
  await new VirtualChipReader(ch).present(card, { fault: 'corrupt-frame' });
  t.ok(ch.outputs().some((o) => o.kind === 'error' && o.reason === 'frame.corrupt'));
});

t.test('the truncated-frame fault stops in the middle of a frame', async (t) => {
  const ch = new RecordingChannel();
  await new VirtualChipReader(ch).present(card, { fault: 'truncated-frame' });
  t.same(
    ch.outputs(1000).flatMap((o) => (o.kind === 'error' ? [o.reason] : [])),
    ['frame.truncated'],
  );
});

t.test('the card-pulled fault sends one chunk, then READ_ERROR card-removed and CARD_REMOVED', async (t) => {
  const ch = new RecordingChannel();
  await new VirtualChipReader(ch, { chunkBytes: 1000 }).present(card, { fault: 'card-pulled' });
  t.same(
    ch.messages().map((m) => (m.type === 'read-error' ? `${m.type}:${m.code}` : m.type)),
    ['card-present', 'card-data', 'read-error:card-removed', 'card-removed'],
  );
});

t.test('garbage from the reader does not stop the frames after it from parsing', async (t) => {
  const ch = new RecordingChannel();
  const sim = new VirtualChipReader(ch);
  await sim.sendGarbage(100);
  await sim.remove();
  t.same(
    ch.messages().map((m) => m.type),
    ['card-removed'],
  );
});

t.test('feedback from the gateway is recorded and emitted', async (t) => {
  const ch = new RecordingChannel();
  const sim = new VirtualChipReader(ch, { heartbeatMs: 60_000 });
  sim.start();
  t.teardown(() => sim.stop());
  const { type, payload } = encodeMessage({ type: 'feedback', signal: 'deny' });
  ch.emit('data', encodeFrame({ type, seq: 0, payload }));
  t.same(sim.feedbackReceived, ['deny']);
});

t.test('a chunk size the protocol cannot carry is refused with a TypeError', async (t) => {
  t.throws(() => new VirtualChipReader(new RecordingChannel(), { chunkBytes: 70_000 }), TypeError);
  t.throws(() => new VirtualChipReader(new RecordingChannel(), { chunkBytes: 0 }), TypeError);
});
