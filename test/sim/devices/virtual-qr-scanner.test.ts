import { EventEmitter } from 'node:events';
import t from 'tap';
import type { ByteChannel } from '../../../drivers/serial/link.js';
import { VirtualQrScanner } from '../../../sim/devices/virtual-qr-scanner.js';

class RecordingChannel extends EventEmitter<{ data: [Buffer] }> implements ByteChannel {
  readonly writes: Buffer[] = [];
  async write(bytes: Uint8Array): Promise<void> {
    this.writes.push(Buffer.from(bytes));
  }
}

t.test('a scan is the UTF-8 text followed by CR by default', async (t) => {
  const channel = new RecordingChannel();
  await new VirtualQrScanner(channel).scan('Nữ');
  t.same(Buffer.concat(channel.writes), Buffer.from('Nữ\r', 'utf8'));
});

t.test('the CRLF terminator is honoured', async (t) => {
  const channel = new RecordingChannel();
  await new VirtualQrScanner(channel, { terminator: 'CRLF' }).scan('a');
  t.same(Buffer.concat(channel.writes), Buffer.from('a\r\n'));
});

t.test('slow mode writes one byte per write', async (t) => {
  const channel = new RecordingChannel();
  await new VirtualQrScanner(channel, { slowByteDelayMs: 1 }).scan('abc');
  t.equal(channel.writes.length, 4);
  t.ok(channel.writes.every((w) => w.length === 1));
});

t.test('garbage goes out exactly as given', async (t) => {
  const channel = new RecordingChannel();
  await new VirtualQrScanner(channel).sendGarbage(Uint8Array.from([0xff, 0x00]));
  t.same(Buffer.concat(channel.writes), Buffer.from([0xff, 0x00]));
});
