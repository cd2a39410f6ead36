// Builds the device adapters a lane needs from its config. The composition root takes one of these, so the
// same gateway runs on real serial ports, on socat pseudo-terminals or on the in-process mock binding.
import type { PcscChipReader } from '../drivers/chip-pcsc/pcsc/index.js';
import { PcscTransport } from '../drivers/chip-pcsc/pcsc/transport.js';
import { SerialChipReader } from '../drivers/chip-reader/adapter.js';
import type { ChipReader } from '../drivers/chip-reader/index.js';
import { SerialQrScanner } from '../drivers/qr-scanner/adapter.js';
import type { QrScanner } from '../drivers/qr-scanner/index.js';
import { openSerialPort, type PortOpener } from '../drivers/serial/link.js';
import { ModbusTurnstile } from '../drivers/turnstile/adapter.js';
import type { Turnstile } from '../drivers/turnstile/index.js';
import type { GatewayConfig, PcscChipReaderConfig, SerialPortConfig, TurnstileConfig } from './config/schema.js';

export interface DeviceFactory {
  qrScanner(port: SerialPortConfig, devices: GatewayConfig['devices']): QrScanner;
  chipReader(port: SerialPortConfig, devices: GatewayConfig['devices']): ChipReader;
  /** A chip reader the gateway drives itself through pcscd (the binding in a child process). */
  pcscChipReader(config: PcscChipReaderConfig['pcsc']): PcscChipReader;
  turnstile(cfg: TurnstileConfig, devices: GatewayConfig['devices']): Turnstile;
}

/** Real serial ports (or socat pseudo-terminals); tests pass the mock binding's opener instead. */
export function serialDevices(opener: PortOpener = openSerialPort): DeviceFactory {
  return {
    qrScanner: (port, devices) => new SerialQrScanner({ port, devices, opener }),
    chipReader: (port, devices) =>
      new SerialChipReader({
        port,
        opener,
        reconnect: { initialMs: devices.reconnectInitialMs, maxMs: devices.reconnectMaxMs },
      }),
    turnstile: (config, devices) => new ModbusTurnstile({ config, devices, opener }),
    // pcscd is the same daemon on a gate box and under the simulator (vpcd): no opener to swap.
    pcscChipReader: (config) => new PcscTransport({ reader: config.reader, extendedLength: config.extendedLength }),
  };
}
