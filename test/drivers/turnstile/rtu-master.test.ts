import t from 'tap';
import { readBitsRequest, withCrc, writeCoilRequest, writeRegisterRequest } from '../../../drivers/turnstile/rtu.js';
import { RtuMaster } from '../../../drivers/turnstile/rtu-master.js';

function master(replyTimeoutMs = 1000) {
  const written: Buffer[] = [];
  const rejected: string[] = [];
  const m = new RtuMaster({
    write: async (bytes) => void written.push(Buffer.from(bytes)),
    replyTimeoutMs,
    onRejectedReply: (reason) => rejected.push(reason),
  });
  return { m, written, rejected };
}

const poll = readBitsRequest(1, 0x02, 0, 4);
const pulse = writeRegisterRequest(1, 0x0200, 30);
const okPollReply = withCrc([1, 2, 1, 0]);

t.test('one transaction at a time: the second request is written only after the first reply', async (t) => {
  const { m, written } = master();
  const a = m.request(poll, 'poll');
  const b = m.request(poll, 'poll');
  await Promise.resolve();
  t.equal(written.length, 1);
  m.feed(okPollReply);
  t.equal((await a).ok, true);
  await Promise.resolve();
  t.equal(written.length, 2);
  m.feed(okPollReply);
  t.equal((await b).ok, true);
});

t.test('a queued command goes out before queued polls', async (t) => {
  const { m, written } = master();
  const inFlight = m.request(poll, 'poll');
  const laterPoll = m.request(poll, 'poll');
  const command = m.request(pulse, 'command');
  m.feed(okPollReply);
  await inFlight;
  t.same(written[1], pulse.bytes, 'the command is next on the wire');
  m.feed(pulse.bytes);
  t.equal((await command).ok, true);
  m.feed(okPollReply);
  t.equal((await laterPoll).ok, true);
});

t.test('a reply split over several chunks is reassembled', async (t) => {
  const { m } = master();
  const r = m.request(poll, 'poll');
  m.feed(okPollReply.subarray(0, 1));
  m.feed(okPollReply.subarray(1, 4));
  m.feed(okPollReply.subarray(4));
  t.same(await r, { ok: true, value: { kind: 'bits', bits: [false, false, false, false] } });
});

t.test('a bad-CRC reply fails the transaction at once with rtu.bad-crc and is reported as rejected', async (t) => {
  const { m, rejected } = master();
  const r = m.request(poll, 'poll');
  const bad = Buffer.from(okPollReply);
  bad[5] ^= 0x55;
  m.feed(bad);
  const outcome = await r;
  t.equal(outcome.ok ? 'ok' : outcome.reason, 'rtu.bad-crc');
  t.same(rejected, ['rtu.bad-crc']);
});

t.test('no reply within the timeout gives rtu.timeout and frees the line', async (t) => {
  const { m, written } = master(20);
  const r = m.request(poll, 'poll');
  const outcome = await r;
  t.equal(outcome.ok ? 'ok' : outcome.reason, 'rtu.timeout');
  const next = m.request(pulse, 'command');
  await Promise.resolve();
  t.equal(written.length, 2);
  m.feed(pulse.bytes);
  t.equal((await next).ok, true);
});

t.test('abortAll fails the transaction on the wire and every queued one with rtu.disconnected', async (t) => {
  const { m } = master();
  const a = m.request(poll, 'poll');
  const b = m.request(pulse, 'command');
  m.abortAll('unplugged');
  for (const outcome of await Promise.all([a, b])) t.equal(outcome.ok ? 'ok' : outcome.reason, 'rtu.disconnected');
});

t.test('a failed write fails the transaction with rtu.disconnected', async (t) => {
  const m = new RtuMaster({ write: () => Promise.reject(new Error('port is not open')), replyTimeoutMs: 1000 });
  const outcome = await m.request(pulse, 'command');
  t.equal(outcome.ok ? 'ok' : outcome.reason, 'rtu.disconnected');
});

t.test('bytes arriving with no transaction open are ignored', async (t) => {
  const { m } = master();
  m.feed(okPollReply);
  const r = m.request(poll, 'poll');
  m.feed(okPollReply);
  t.equal((await r).ok, true);
});

t.test('after a timeout, a late reply to the old request is skipped and the new reply still found', async (t) => {
  const { m } = master(30);
  t.equal(((await m.request(poll, 'poll')) as { reason?: string }).reason, 'rtu.timeout');
  const command = m.request(pulse, 'command');
  m.feed(okPollReply); // the board's late answer to the poll
  m.feed(pulse.bytes);
  t.same(await command, { ok: true, value: { kind: 'written' } });
});

t.test('bytes that never form a valid reply after a timeout are counted as rejected at the next timeout', async (t) => {
  const { m, rejected } = master(30);
  await m.request(poll, 'poll');
  const command = m.request(pulse, 'command');
  m.feed(Buffer.from([1, 6, 2, 0, 0, 30, 0, 0]));
  const outcome = await command;
  t.equal(outcome.ok ? 'ok' : outcome.reason, 'rtu.timeout');
  t.same(rejected, ['rtu.bad-crc']);
});

t.test('a command with a retry is resent ahead of queued polls after a garbled reply', async (t) => {
  const { m, written } = master();
  const command = m.request(pulse, 'command', 1);
  const laterPoll = m.request(poll, 'poll');
  const garbled = Buffer.from(pulse.bytes);
  garbled[7] ^= 1;
  m.feed(garbled);
  await Promise.resolve();
  t.same(written[1], pulse.bytes, 'the resend is next on the wire, before the poll');
  m.feed(pulse.bytes);
  t.equal((await command).ok, true);
  m.feed(okPollReply);
  t.equal((await laterPoll).ok, true);
});

t.test('an exception reply is not retried', async (t) => {
  const { m, written } = master();
  const command = m.request(pulse, 'command', 1);
  m.feed(withCrc([1, 0x86, 2]));
  const outcome = await command;
  t.equal(outcome.ok ? 'ok' : outcome.reason, 'rtu.exception');
  t.equal(written.length, 1);
});

t.test('a write already waiting is not queued again: it goes out once and answers every caller', async (t) => {
  const { m, written } = master();
  const inFlight = m.request(poll, 'poll');
  const pulses = Array.from({ length: 500 }, () => m.request(pulse, 'command'));
  const nextPoll = m.request(poll, 'poll');
  m.feed(okPollReply);
  await inFlight;
  await Promise.resolve();
  t.same(written[1], pulse.bytes);
  m.feed(pulse.bytes);
  t.ok(
    (await Promise.all(pulses)).every((r) => r.ok),
    'all 500 callers hear the one reply',
  );
  await Promise.resolve();
  t.same(written[2], poll.bytes, 'the poll is next: 499 repeats did not queue ahead of it');
  m.feed(okPollReply);
  t.equal((await nextPoll).ok, true);
  t.equal(written.length, 3);
});

t.test(
  'a write is merged only into the latest queued write to the same coil, so the last one asked wins',
  async (t) => {
    const { m, written } = master();
    const on = writeCoilRequest(1, 0x10, true);
    const off = writeCoilRequest(1, 0x10, false);
    const otherCoil = writeCoilRequest(1, 0x11, true);
    const inFlight = m.request(poll, 'poll');
    const asked = [on, off, otherCoil, on, on].map((r) => m.request(r, 'command'));
    m.feed(okPollReply);
    await inFlight;
    for (let i = 0; i < 4; i++) {
      await Promise.resolve();
      m.feed(written.at(-1)!); // a write's reply echoes its request
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(asked);
    t.same(
      written.slice(1).map((b) => b.toString('hex')),
      [on, off, otherCoil, on].map((r) => r.bytes.toString('hex')),
      'on, off, the other coil, on: the repeated `on` at the end is sent once, after the `off`',
    );
  },
);

t.test('commands arriving back to back do not starve a waiting poll: it goes after one command', async (t) => {
  const { m, written } = master();
  const pulseIn = writeRegisterRequest(1, 0x0200, 30);
  const pulseOut = writeRegisterRequest(1, 0x0201, 30);
  const first = m.request(pulseIn, 'command');
  const polled = m.request(poll, 'poll');
  // A flood: a new command is always waiting when the wire frees up.
  const answer = async (): Promise<void> => {
    await Promise.resolve();
    m.feed(written.at(-1)!.equals(poll.bytes) ? okPollReply : written.at(-1)!);
    await new Promise((resolve) => setImmediate(resolve));
  };
  void m.request(pulseOut, 'command');
  await answer(); // pulseIn done; the poll has waited behind a command, so it is next
  t.same(written[1], poll.bytes, 'the poll goes before the next command');
  void m.request(pulseIn, 'command');
  await answer(); // the poll
  t.equal((await polled).ok, true);
  t.equal((await first).ok, true);
  t.same(written[2], pulseOut.bytes, 'then the commands again');
});
