// A pair of linked pseudo-terminals made by socat: what a USB serial cable looks like to both ends.
// unplug() kills socat so both device nodes vanish (a pulled USB adapter); replug() recreates them on
// the same paths, which is how the reconnect loop is tested end to end.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialConnection } from '../drivers/serial/connection.js';
import { openSerialPort } from '../drivers/serial/link.js';
import type { DeviceKind } from '../gateway/events.js';

export const SOCAT_MISSING =
  'socat is not installed: pty tests and the simulator over ptys need it (apt-get install socat)';

export function hasSocat(): boolean {
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PtyPairOptions {
  /** Folder for the two links; a fresh temp folder (removed on close) by default. */
  dir?: string;
  /** How long to wait for socat to create the links. */
  readyTimeoutMs?: number;
}

export class PtyPair {
  private socat: ChildProcess | undefined;

  private constructor(
    /** The end the gateway opens. */
    readonly gatewayPath: string,
    /** The end the virtual device opens. */
    readonly devicePath: string,
    private readonly ownedDir: string | undefined,
    private readonly readyTimeoutMs: number,
  ) {}

  static async open(options: PtyPairOptions = {}): Promise<PtyPair> {
    if (!hasSocat()) throw new Error(SOCAT_MISSING);
    const ownedDir = options.dir === undefined ? await mkdtemp(join(tmpdir(), 'gate06-pty-')) : undefined;
    const dir = options.dir ?? (ownedDir as string);
    const pair = new PtyPair(join(dir, 'gateway'), join(dir, 'device'), ownedDir, options.readyTimeoutMs ?? 5000);
    await pair.replug();
    return pair;
  }

  get plugged(): boolean {
    return this.socat !== undefined;
  }

  /** Starts socat on the two link paths and waits until both exist. */
  async replug(): Promise<void> {
    if (this.socat) return;
    const socat = spawn(
      'socat',
      [`pty,raw,echo=0,link=${this.gatewayPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
      {
        stdio: 'ignore',
      },
    );
    this.socat = socat;
    const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + this.readyTimeoutMs;
    while (!(existsSync(this.gatewayPath) && existsSync(this.devicePath))) {
      if (gone) {
        this.socat = undefined;
        throw new Error(`socat exited before creating ${this.gatewayPath} and ${this.devicePath}`);
      }
      if (Date.now() > deadline) {
        await this.unplug();
        throw new Error(
          `socat did not create ${this.gatewayPath} and ${this.devicePath} within ${this.readyTimeoutMs} ms`,
        );
      }
      await sleep(10);
    }
  }

  /** Kills socat: both ends close under whoever has them open, and the paths disappear. */
  async unplug(): Promise<void> {
    const socat = this.socat;
    if (!socat) return;
    this.socat = undefined;
    if (socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
      socat.kill('SIGTERM');
      await exited;
    }
    // socat removes its links on a clean exit; remove leftovers so a reopen fails like a vanished device.
    await rm(this.gatewayPath, { force: true });
    await rm(this.devicePath, { force: true });
  }

  async close(): Promise<void> {
    await this.unplug();
    if (this.ownedDir) await rm(this.ownedDir, { recursive: true, force: true });
  }

  /**
   * The device end as a channel that survives unplug/replug: a virtual device keeps working across a
   * simulated cable pull, like real hardware that was never powered off. Call stop() when done.
   */
  async deviceChannel(kind: DeviceKind): Promise<SerialConnection> {
    const channel = new SerialConnection({
      kind,
      port: { path: this.devicePath, baudRate: 9600 },
      opener: openSerialPort,
      reconnect: { initialMs: 20, maxMs: 200 },
      liveness: { kind: 'port-open' },
    });
    await channel.start();
    return channel;
  }
}
