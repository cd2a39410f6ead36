// The virtual card against a stand-in for pcscd's vpcd driver (a TCP server speaking the same framing), so
// these run without pcscd; test/drivers/chip-pcsc/pcsc/transport.test.ts runs the card behind real pcscd.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import t from 'tap';
import { VpcdCard } from '../../../sim/devices/vpcd-card.js';
import { VpcdDeframer } from '../../../sim/devices/vpcd-framing.js';
import { EchoCard } from '../../drivers/chip-pcsc/pcsc/test-cards.js';

/** A fresh 20 s bound for each wait. */
const wait = () => ({ signal: AbortSignal.timeout(20_000) });

/** Plays vpcd: accepts the card, sends framed requests, reads framed answers. */
class FakeVpcd {
  readonly server: Server;
  socket: Socket | undefined;
  private readonly deframer = new VpcdDeframer();
  private readonly answers: Uint8Array[] = [];
  private waiting: ((body: Uint8Array) => void) | undefined;

  constructor() {
    this.server = createServer((socket) => {
      this.socket = socket;
      socket.on('data', (bytes) => {
        for (const body of this.deframer.push(bytes)) {
          if (this.waiting) {
            const w = this.waiting;
            this.waiting = undefined;
            w(body);
          } else this.answers.push(body);
        }
      });
      socket.on('error', () => {});
    });
  }

  async listen(port = 0): Promise<number> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  send(body: number[]): void {
    const frame = Buffer.alloc(2 + body.length);
    frame.writeUInt16BE(body.length);
    frame.set(body, 2);
    this.socket!.write(frame);
  }

  next(): Promise<Uint8Array> {
    const ready = this.answers.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

t.test('the card answers the ATR request and APDUs, and ignores power controls', async (t) => {
  const vpcd = new FakeVpcd();
  const port = await vpcd.listen();
  t.teardown(() => vpcd.close());
  const behaviour = new EchoCard();
  const card = new VpcdCard(behaviour, { port });
  t.teardown(() => card.remove());
  const accepted = once(vpcd.server, 'connection', wait());
  await card.insert();
  await accepted;
  vpcd.send([1]); // power on: no answer expected
  vpcd.send([4]);
  t.same(Buffer.from(await vpcd.next()), Buffer.from(behaviour.atr), 'the first answer is the ATR');
  vpcd.send([0x00, 0x84, 0x00, 0x00, 0x08]);
  t.same(Buffer.from(await vpcd.next()), Buffer.from([0x00, 0x84, 0x00, 0x00, 0x08, 0x90, 0x00]));
  t.equal(card.apdusAnswered, 1);
});

t.test('an unknown control is refused with a reason and the card keeps answering', async (t) => {
  const vpcd = new FakeVpcd();
  const port = await vpcd.listen();
  t.teardown(() => vpcd.close());
  const card = new VpcdCard(new EchoCard(), { port });
  t.teardown(() => card.remove());
  const accepted = once(vpcd.server, 'connection', wait());
  await card.insert();
  await accepted;
  const refused = once(card, 'refused', wait());
  vpcd.send([9]);
  t.match((await refused)[0], /vpcd.unknown-control/);
  vpcd.send([4]);
  t.ok((await vpcd.next()).length > 0);
});

t.test('remove() closes the connection, which is how vpcd sees the card leave', async (t) => {
  const vpcd = new FakeVpcd();
  const port = await vpcd.listen();
  t.teardown(() => vpcd.close());
  const card = new VpcdCard(new EchoCard(), { port });
  const accepted = once(vpcd.server, 'connection', wait());
  await card.insert();
  await accepted;
  const closed = once(vpcd.socket!, 'close', wait());
  card.remove();
  await closed;
  t.equal(card.isConnected, false);
});

t.test('an inserted card reconnects when vpcd drops it (pcscd restarting)', async (t) => {
  const vpcd = new FakeVpcd();
  const port = await vpcd.listen();
  t.teardown(() => vpcd.close());
  const card = new VpcdCard(new EchoCard(), { port, retryMs: 20 });
  t.teardown(() => card.remove());
  let accepted = once(vpcd.server, 'connection', wait());
  await card.insert();
  await accepted;
  accepted = once(vpcd.server, 'connection', wait());
  vpcd.socket!.destroy();
  await accepted;
  vpcd.send([4]);
  t.ok((await vpcd.next()).length > 0, 'the reconnected card answers');
});

t.test('insert() waits for vpcd to listen when pcscd starts after the card', async (t) => {
  const probe = new FakeVpcd();
  const port = await probe.listen();
  await probe.close();
  const card = new VpcdCard(new EchoCard(), { port, retryMs: 20 });
  t.teardown(() => card.remove());
  const inserted = card.insert();
  await once(card, 'disconnected', wait()); // the first attempt is refused
  const vpcd = new FakeVpcd();
  await vpcd.listen(port);
  t.teardown(() => vpcd.close());
  await inserted;
  t.ok(card.isConnected);
});
