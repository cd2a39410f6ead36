// The simulated hardware of a whole gate: for every device a lane's config names, a virtual cable (a socat
// pseudo-terminal pair, or the in-process mock binding) with the virtual device on its far end. The gateway
// opens the near end with its real drivers, so everything from framing up runs as on a gate box.

import { EventEmitter } from 'node:events';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CardBehaviour } from '../drivers/chip-pcsc/card-channel.js';
import { type ByteChannel, openSerialPort, type PortOpener, type SerialLink } from '../drivers/serial/link.js';
import {
  type Direction,
  type GatewayConfig,
  isPcscChipReader,
  type SerialPortConfig,
} from '../gateway/config/schema.js';
import { type DeviceFactory, serialDevices } from '../gateway/devices.js';
import { VirtualChipReader } from './devices/virtual-chip-reader.js';
import { VirtualQrScanner } from './devices/virtual-qr-scanner.js';
import { VirtualTurnstile } from './devices/virtual-turnstile.js';
import { VpcdCard } from './devices/vpcd-card.js';
import { MockSerialPair } from './mock-port.js';
import { hasSocat, PtyPair, SOCAT_MISSING } from './pty.js';

export type Transport = 'pty' | 'mock';
export type DeviceRole = 'turnstile' | `qr-${Direction}` | `chip-${Direction}`;

export interface RigLane {
  id: string;
  turnstile: VirtualTurnstile;
  qr: Partial<Record<Direction, VirtualQrScanner>>;
  chip: Partial<Record<Direction, VirtualChipReader>>;
  /** PC/SC chip sides: where the simulated person puts a card (a vpcd slot that real pcscd reads). */
  chipSlot: Partial<Record<Direction, VpcdChipSlot>>;
}

/**
 * The field of a PC/SC reader under the simulator: a vpcd slot. The gateway's reader config names the slot's
 * reader ("Virtual PCD 00 00"); the rig only knows its TCP port, given in `vpcdPorts`.
 */
export class VpcdChipSlot {
  private card: VpcdCard | undefined;
  constructor(readonly port: number) {}

  /** Puts a card in the field (taking away any card already there) and resolves once vpcd has it. */
  async present(behaviour: CardBehaviour): Promise<VpcdCard> {
    this.remove();
    const card = new VpcdCard(behaviour, { port: this.port });
    this.card = card;
    await card.insert();
    return card;
  }

  remove(): void {
    this.card?.remove();
    this.card = undefined;
  }
}

/** The device end of a pty pair; reopens after the cable is re-plugged so a virtual device outlives unplug/replug. */
class ReopeningChannel extends EventEmitter<{ data: [Buffer] }> implements ByteChannel {
  private link: SerialLink | undefined;
  constructor(private readonly path: string) {
    super();
  }
  async open(): Promise<void> {
    this.link = await openSerialPort({ path: this.path, baudRate: 115200 });
    this.link.on('data', (b) => this.emit('data', b));
    this.link.on('lost', () => {
      this.link = undefined;
    });
  }
  write(bytes: Uint8Array): Promise<void> {
    // A device with no cable sends into the void, as a real one would.
    return this.link ? this.link.write(bytes).catch(() => {}) : Promise.resolve();
  }
  async close(): Promise<void> {
    await this.link?.close().catch(() => {});
    this.link = undefined;
  }
}

interface Cable {
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export class SimRig {
  readonly lanes = new Map<string, RigLane>();
  private readonly cables = new Map<string, Cable>();
  private readonly openers = new Map<string, PortOpener>();
  private readonly closers: Array<() => Promise<void> | void> = [];

  private constructor(
    readonly transport: Transport,
    readonly config: GatewayConfig,
    private readonly dir: string,
    private readonly keepPaths: boolean,
  ) {}

  /** The transport to use here: ptys when socat is installed, else the in-process mock binding. */
  static defaultTransport(): Transport {
    return hasSocat() ? 'pty' : 'mock';
  }

  /**
   * Builds the cables and virtual devices for every device in `template` and returns the config with the
   * gateway-side paths filled in. `dir` holds the pty links (ignored for the mock transport).
   */
  static async start(
    template: GatewayConfig,
    opts: {
      transport: Transport;
      dir: string;
      chipHeartbeatMs?: number /** how long a simulated person keeps the passage sensor active */;
      passMs?: number /** pty only: make the configured paths themselves the gateway ends (a separate gateway process opens them). */;
      keepPaths?: boolean;
      /** vpcd card ports for the PC/SC chip sides, in lane order (entry before exit); a side without one gets no slot. */
      vpcdPorts?: number[];
    },
  ): Promise<SimRig> {
    if (opts.transport === 'pty' && !hasSocat()) throw new Error(SOCAT_MISSING);
    await mkdir(opts.dir, { recursive: true });
    const config: GatewayConfig = structuredClone(template);
    const rig = new SimRig(opts.transport, config, opts.dir, opts.keepPaths ?? false);
    const vpcdPorts = [...(opts.vpcdPorts ?? [])];
    try {
      for (const lane of config.gate.lanes) {
        const rl: RigLane = {
          id: lane.id,
          qr: {},
          chip: {},
          chipSlot: {},
          turnstile: undefined as unknown as VirtualTurnstile,
        };
        const tChannel = await rig.cable(lane.id, 'turnstile', lane.turnstile.port);
        rl.turnstile = new VirtualTurnstile(tChannel, {
          address: lane.turnstile.address,
          unlockCoil: lane.turnstile.unlockCoil,
          inputs: lane.turnstile.inputs,
          passMs: opts.passMs,
        });
        rig.closers.push(() => rl.turnstile.close());
        for (const [dir, side] of [
          ['in', lane.entry],
          ['out', lane.exit],
        ] as const) {
          if (side?.qrScanner) rl.qr[dir] = new VirtualQrScanner(await rig.cable(lane.id, `qr-${dir}`, side.qrScanner));
          const chipReader = side?.chipReader;
          if (chipReader && isPcscChipReader(chipReader)) {
            const port = vpcdPorts.shift();
            if (port !== undefined) {
              const slot = new VpcdChipSlot(port);
              rl.chipSlot[dir] = slot;
              rig.closers.push(() => slot.remove());
            }
          } else if (chipReader) {
            const reader = new VirtualChipReader(await rig.cable(lane.id, `chip-${dir}`, chipReader), {
              heartbeatMs: opts.chipHeartbeatMs,
            });
            reader.start();
            rl.chip[dir] = reader;
            rig.closers.push(() => reader.stop());
          }
        }
        rig.lanes.set(lane.id, rl);
      }
    } catch (err) {
      await rig.stop();
      throw err;
    }
    return rig;
  }

  /** Creates one cable and rewrites `port.path` (in the rig's config) to the gateway's end of it. */
  private async cable(lane: string, role: DeviceRole, port: SerialPortConfig): Promise<ByteChannel> {
    const key = `${lane}/${role}`;
    if (this.transport === 'mock') {
      const pair = new MockSerialPair(`${lane}-${role}`);
      port.path = pair.path;
      this.openers.set(pair.path, pair.opener);
      this.cables.set(key, {
        unplug: async () => pair.unplug(),
        replug: async () => pair.replug(),
        close: async () => pair.unplug(),
      });
      return pair.device;
    }
    const dir = join(this.dir, `${lane}-${role}`);
    await mkdir(dir, { recursive: true });
    const pair = await PtyPair.open({ dir });
    if (this.keepPaths) {
      await mkdir(dirname(port.path), { recursive: true });
      await rm(port.path, { force: true });
      await symlink(pair.gatewayPath, port.path);
      this.closers.push(() => rm(port.path, { force: true }));
    } else {
      port.path = pair.gatewayPath;
    }
    const channel = new ReopeningChannel(pair.devicePath);
    await channel.open();
    this.cables.set(key, {
      unplug: async () => {
        await channel.close();
        await pair.unplug();
      },
      replug: async () => {
        await pair.replug();
        await channel.open();
      },
      close: async () => {
        await channel.close();
        await pair.close();
      },
    });
    return channel;
  }

  /** The gateway's device factory: real serial drivers, over ptys or over the mock binding's openers. */
  get devices(): DeviceFactory {
    if (this.transport === 'pty') return serialDevices();
    return serialDevices(async (cfg) => {
      const opener = this.openers.get(cfg.path);
      if (!opener) throw new Error(`no simulated device at ${cfg.path}`);
      return opener(cfg);
    });
  }

  lane(id: string): RigLane {
    const l = this.lanes.get(id);
    if (!l) throw new Error(`no simulated lane ${id}`);
    return l;
  }

  unplug(lane: string, role: DeviceRole): Promise<void> {
    return this.cables.get(`${lane}/${role}`)?.unplug() ?? Promise.resolve();
  }

  replug(lane: string, role: DeviceRole): Promise<void> {
    return this.cables.get(`${lane}/${role}`)?.replug() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    for (const close of this.closers.splice(0)) {
      try {
        await close();
      } catch {
        /* closing a device that already went away */
      }
    }
    await Promise.allSettled([...this.cables.values()].map((c) => c.close()));
    this.cables.clear();
    if (this.transport === 'pty') await rm(this.dir, { recursive: true, force: true }).catch(() => {});
  }
}
