import fc from 'fast-check';
import t from 'tap';
import { decodeRequest, encodeMessage, VpcdDeframer } from '../../../sim/devices/vpcd-framing.js';

t.test('arbitrary bytes from vpcd never throw, and every body decodes to a request or a reason', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 8 }), (chunks) => {
      const deframer = new VpcdDeframer();
      for (const chunk of chunks) {
        for (const body of deframer.push(chunk)) {
          const request = decodeRequest(body);
          if (!request.ok && !request.reason.startsWith('vpcd.')) return false;
        }
      }
      return true;
    }),
  );
  t.pass();
});

t.test('framed messages come back whole in any split of the stream', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      (bodies, cutSeeds) => {
        const stream = Buffer.concat(
          bodies.map((b) => {
            const framed = encodeMessage(b);
            if (!framed.ok) throw new Error(framed.reason);
            return framed.value;
          }),
        );
        const cuts = [...new Set(cutSeeds.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const deframer = new VpcdDeframer();
        const out: Uint8Array[] = [];
        let from = 0;
        for (const cut of [...cuts, stream.length]) {
          out.push(...deframer.push(stream.subarray(from, cut)));
          from = cut;
        }
        return (
          deframer.pendingBytes === 0 &&
          out.length === bodies.length &&
          out.every((body, i) => Buffer.from(body).equals(Buffer.from(bodies[i]!)))
        );
      },
    ),
  );
  t.pass();
});

t.test('the four controls and an APDU are told apart', async (t) => {
  t.same(decodeRequest(Uint8Array.of(0)), { ok: true, value: { kind: 'control', control: 'powerOff' } });
  t.same(decodeRequest(Uint8Array.of(1)), { ok: true, value: { kind: 'control', control: 'powerOn' } });
  t.same(decodeRequest(Uint8Array.of(2)), { ok: true, value: { kind: 'control', control: 'reset' } });
  t.same(decodeRequest(Uint8Array.of(4)), { ok: true, value: { kind: 'control', control: 'getAtr' } });
  const apdu = Uint8Array.of(0x00, 0xa4, 0x04, 0x00);
  t.same(decodeRequest(apdu), { ok: true, value: { kind: 'apdu', apdu } });
});

t.test('an unknown control byte and an empty message are refused with a reason', async (t) => {
  t.match(decodeRequest(Uint8Array.of(3)), { ok: false, reason: 'vpcd.unknown-control' });
  t.match(decodeRequest(Uint8Array.of(0xff)), { ok: false, reason: 'vpcd.unknown-control' });
  t.match(decodeRequest(new Uint8Array(0)), { ok: false, reason: 'vpcd.empty-message' });
});

t.test('a message longer than the 16-bit length can carry is refused', async (t) => {
  t.match(encodeMessage(new Uint8Array(0x10000)), { ok: false, reason: 'vpcd.message-too-long' });
  const longest = encodeMessage(new Uint8Array(0xffff));
  t.ok(longest.ok && longest.value.readUInt16BE(0) === 0xffff);
});
