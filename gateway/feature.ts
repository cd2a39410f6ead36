// The shape every part of the daemon that runs has (Zigbee2MQTT's extension shape), and the one error a part
// throws when the config asks for something this gate cannot start with.

/** A feature of the daemon: the constructor stores, start() works, stop() undoes. */
export interface Feature {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The config asks for something this gate cannot start with (an unreadable key file, a trust store that does
 * not load): the message names the config key, and the daemon refuses to start rather than run half-configured.
 */
export class StartRefused extends Error {
  override readonly name = 'StartRefused';
}
