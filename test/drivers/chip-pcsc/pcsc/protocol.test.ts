import fc from 'fast-check';
import t from 'tap';
import {
  ChildDeframer,
  type ChildMessage,
  decodeChildMessage,
  encodeFrame,
  MAX_FRAME_BYTES,
} from '../../../../drivers/chip-pcsc/pcsc/protocol.js';

const frameOf = (json: string): Buffer => {
  const body = Buffer.from(json, 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
};

const childMessage: fc.Arbitrary<ChildMessage> = fc.oneof(
  fc.constant({ t: 'ready' as const }),
  fc.record({ t: fc.constant('reader-attached' as const), reader: fc.string({ minLength: 1, maxLength: 60 }) }),
  fc.record({
    t: fc.constant('card-inserted' as const),
    reader: fc.string({ minLength: 1, maxLength: 60 }),
    card: fc.nat(),
    atr: fc.uint8Array({ maxLength: 33 }).map((b) => Buffer.from(b).toString('base64')),
  }),
  fc.record({
    t: fc.constant('reply' as const),
    id: fc.nat(),
    data: fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('base64')),
  }),
  fc.record({ t: fc.constant('failed' as const), id: fc.nat(), message: fc.string({ maxLength: 100 }) }),
);

t.test('arbitrary bytes from the child never throw, in any split', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const deframer = new ChildDeframer();
      for (const chunk of chunks) deframer.push(chunk);
    }),
  );
  t.pass();
});

t.test('a valid message survives encoding and any split of the stream', async (t) => {
  fc.assert(
    fc.property(fc.array(childMessage, { minLength: 1, maxLength: 5 }), fc.nat(), (messages, cutSeed) => {
      const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
      const cut = cutSeed % (stream.length + 1);
      const deframer = new ChildDeframer();
      const out = [...deframer.push(stream.subarray(0, cut)), ...deframer.push(stream.subarray(cut))];
      return (
        out.length === messages.length &&
        out.every((o, i) => o.kind === 'message' && JSON.stringify(o.message) === JSON.stringify(messages[i]))
      );
    }),
  );
  t.pass();
});

t.test('a frame that is not JSON is refused with ipc.not-json and the next frame still reads', async (t) => {
  const deframer = new ChildDeframer();
  const out = deframer.push(Buffer.concat([frameOf('{"t":"rea'), encodeFrame({ t: 'ready' })]));
  t.match(out, [
    { kind: 'refused', reason: 'ipc.not-json' },
    { kind: 'message', message: { t: 'ready' } },
  ]);
  t.notOk(deframer.broken);
});

t.test('invalid UTF-8 is refused, not replaced', async (t) => {
  const body = Buffer.from([0x7b, 0xff, 0x7d]);
  t.match(decodeChildMessage(body), { ok: false, reason: 'ipc.not-json' });
});

t.test('messages outside the schema are refused with ipc.bad-message and the field named', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['{"t":"launch-missiles"}', /t/],
    ['{"t":"ready","extra":1}', /unrecognized|extra/i],
    ['{"t":"reply","id":-1,"data":""}', /id/],
    ['{"t":"reply","id":1,"data":"not base64!"}', /data/],
    [`{"t":"card-inserted","reader":"r","card":1,"atr":"${Buffer.alloc(34).toString('base64')}"}`, /atr/],
    ['{"t":"reader-attached","reader":""}', /reader/],
    ['[1,2]', /root|t/],
    ['null', /root|t/],
  ];
  for (const [json, field] of cases) {
    const decoded = decodeChildMessage(Buffer.from(json));
    t.equal(decoded.ok, false, json);
    if (!decoded.ok) {
      t.equal(decoded.reason, 'ipc.bad-message', json);
      t.match(decoded.detail, field, json);
    }
  }
});

t.test('a length beyond the bound breaks the stream: refused once, nothing after', async (t) => {
  const deframer = new ChildDeframer();
  const header = Buffer.alloc(4);
  header.writeUInt32BE(MAX_FRAME_BYTES + 1);
  const out = deframer.push(Buffer.concat([header, encodeFrame({ t: 'ready' })]));
  t.match(out, [{ kind: 'refused', reason: 'ipc.too-long' }]);
  t.equal(out.length, 1);
  t.ok(deframer.broken);
  t.same(deframer.push(encodeFrame({ t: 'ready' })), [], 'a broken stream yields nothing more');
});
