// Gives tests an MQTT broker URL.
//
// - `startTestBroker()`: the broker CI names in MQTT_URL (a real Mosquitto), else an embedded aedes broker on
//   127.0.0.1:0. Shared by every test in the run, so use unique site/gate ids (`uniqueId`).
// - `startOutageBroker()`: always a private embedded aedes broker, because an outage test must be able to take
//   its broker down and bring it back on the same port, and it cannot do that to the shared Mosquitto.
//   Taking it down drops every client connection and refuses new ones; bringing it up listens on the same port
//   again with the same broker instance, so sessions and subscriptions of clean:false clients survive, as they
//   do on a Mosquitto with persistence (and as they do when it is the gate box's uplink that fails).
//
// aedes speaks MQTT 3.1.1 only: clients that must work against both brokers connect with protocolVersion 4.
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface TestBroker {
  url: string;
  /** true when this is an in-process aedes broker started for this test file */
  embedded: boolean;
  stop(): Promise<void>;
}

export interface OutageBroker extends TestBroker {
  port: number;
  /** Drops all client connections and stops accepting new ones. */
  takeDown(): Promise<void>;
  /** Accepts connections again on the same port. */
  bringUp(): Promise<void>;
  readonly up: boolean;
  /**
   * Calls `fn` for every message a client publishes, in the order the broker receives them. This is the
   * publisher's own order; a subscriber that was offline may see its queued backlog interleaved with live
   * messages (aedes does not order those), so order assertions belong here.
   */
  onClientPublish(fn: (topic: string, payload: Buffer) => void): void;
}

/** A lower-case id that is valid as a site or gate id and unique across parallel test files. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function startTestBroker(): Promise<TestBroker> {
  const external = process.env.MQTT_URL;
  if (external) return { url: external, embedded: false, stop: async () => {} };
  return startOutageBroker();
}

export async function startOutageBroker(): Promise<OutageBroker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const publishListeners: Array<(topic: string, payload: Buffer) => void> = [];

  const listen = async (): Promise<void> => {
    const s = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // A client reset during takeDown() must not become an unhandled 'error'.
      socket.on('error', () => {});
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve();
      });
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };

  const closeServer = async (): Promise<void> => {
    const s = server;
    server = null;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  await listen();
  broker.on('publish', (packet, client) => {
    if (client) for (const fn of publishListeners) fn(packet.topic, packet.payload as Buffer);
  });
  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    embedded: true,
    port,
    get up() {
      return server !== null;
    },
    onClientPublish: (fn) => void publishListeners.push(fn),
    takeDown: closeServer,
    bringUp: async () => {
      if (!server) await listen();
    },
    stop: async () => {
      await closeServer();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
