// A virtual serial cable inside the process, over node-serialport's mock binding: the gateway side opens
// a real SerialPortMock stream (the same stream class as a hardware port), the device side is a
// ByteChannel a virtual device talks through. No socat needed, so unit tests run anywhere.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { SerialPortMock } from 'serialport';
import { type ByteChannel, mockPortOpener, type PortOpener } from '../drivers/serial/link.js';

interface DeviceEndEvents {
  data: [bytes: Buffer];
}

class DeviceEnd extends EventEmitter<DeviceEndEvents> implements ByteChannel {
  constructor(private readonly pair: MockSerialPair) {
    super();
  }

  write(bytes: Uint8Array): Promise<void> {
    this.pair.deliverToGateway(Buffer.from(bytes));
    return Promise.resolve();
  }
}

export class MockSerialPair {
  /** The path the gateway side opens (give it to the adapter's port config). */
  readonly path: string;
  /** The device end: hand it to a VirtualQrScanner or VirtualTurnstile. */
  readonly device: DeviceEnd;
  /** Opens the gateway side; fails like a missing device node while unplugged. */
  readonly opener: PortOpener;
  private gatewaySide: SerialPortMock | undefined;
  private plugged = true;

  constructor(name = 'tty') {
    // The mock binding's registry is process-wide: a unique path keeps parallel pairs apart.
    this.path = `/dev/mock-${name}-${randomUUID()}`;
    SerialPortMock.binding.createPort(this.path, { echo: false, record: false });
    this.device = new DeviceEnd(this);
    const openMock = mockPortOpener((stream) => this.attach(stream));
    this.opener = async (cfg) => {
      if (!this.plugged) throw new Error(`ENOENT: no such file or directory, open '${cfg.path}'`);
      return openMock(cfg);
    };
  }

  /** Pull the cable: the gateway's port closes with a disconnect error and cannot reopen until replug(). */
  unplug(): void {
    this.plugged = false;
    const stream = this.gatewaySide;
    this.gatewaySide = undefined;
    // The same path the stream takes when a real read fails with EIO on a vanished USB adapter.
    if (stream?.isOpen) stream._disconnected(new Error('device unplugged'));
  }

  replug(): void {
    this.plugged = true;
  }

  /** Bytes the device sends; dropped when the gateway side is not open, as on a real wire. */
  deliverToGateway(bytes: Buffer): void {
    const binding = this.gatewaySide?.port;
    if (this.gatewaySide?.isOpen && binding?.isOpen) binding.emitData(bytes);
  }

  private attach(stream: SerialPortMock): void {
    this.gatewaySide = stream;
    const binding = stream.port;
    if (!binding) return;
    // The mock binding only records writes; forward each one to the device end once the binding has taken it.
    const write = binding.write.bind(binding);
    binding.write = async (buffer: Buffer) => {
      await write(buffer);
      if (this.gatewaySide === stream) this.device.emit('data', Buffer.from(buffer));
    };
  }
}
