import t from 'tap';
import { validateMessage } from '../../collector/validate.js';
import { countsPayload } from './fixtures.js';

const topic = 'gate06/v1/site-a/g1/counts';
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

t.test('a valid counts message becomes a counts record for its site and gate', async (t) => {
  const v = validateMessage(
    topic,
    buf(countsPayload('site-a', 'g1', 60_000, [{ lane: 'L1', in: 1, out: 0 }])),
    5,
    65536,
  );
  t.ok(v.ok);
  if (v.ok) t.match(v.record, { kind: 'counts', site: 'site-a', gate: 'g1', receivedAt: 5 });
});

t.test('malformed JSON is rejected with reason json', async (t) => {
  t.match(validateMessage(topic, buf('{"schema":1,'), 0, 65536), { ok: false, reason: 'json' });
});

t.test('a payload that does not match the topic schema is rejected with reason schema naming the field', async (t) => {
  const bad = { ...countsPayload('site-a', 'g1', 60_000, []), seq: -1 };
  t.match(validateMessage(topic, buf(bad), 0, 65536), { ok: false, reason: 'schema', detail: /^seq:/ });
});

t.test('a counts payload naming another gate than its topic is rejected with reason identity-mismatch', async (t) => {
  t.match(validateMessage(topic, buf(countsPayload('site-a', 'g2', 60_000, [])), 0, 65536), {
    ok: false,
    reason: 'identity-mismatch',
  });
  t.match(validateMessage(topic, buf(countsPayload('site-b', 'g1', 60_000, [])), 0, 65536), {
    ok: false,
    reason: 'identity-mismatch',
  });
});

t.test('a payload over the size limit is rejected with reason oversize before it is parsed', async (t) => {
  t.match(validateMessage(topic, Buffer.alloc(2000, 0x20), 0, 1024), { ok: false, reason: 'oversize' });
});

t.test('a topic outside the gate telemetry map is rejected with reason topic', async (t) => {
  t.match(validateMessage('gate06/v1/site-a/g1/cmd/resend', buf({}), 0, 65536), { ok: false, reason: 'topic' });
  t.match(validateMessage('other/thing', buf({}), 0, 65536), { ok: false, reason: 'topic' });
});
