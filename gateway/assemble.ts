// Turns a validated config into the gateway's full set of options: the optional ports (chip trust store,
// face models, watchlist) and features (telemetry) a site's config asks for. Shared by `gate06 gateway`
// and `gate06 demo`, so the demo runs exactly what a gate box runs.
import type { Logger } from 'pino';
import { PassiveAuthChipCheck } from './credentials/chip.js';
import { loadTrustStore } from './credentials/icao/index.js';
import type { GatewayConfig } from './config/schema.js';
import type { DeviceFactory } from './devices.js';
import { Gateway, type GatewayOptions } from './gateway.js';

export interface AssembleOptions {
  config: GatewayConfig;
  logger: Logger;
  devices: DeviceFactory;
  now?: () => number;
}

export class AssemblyError extends Error {}

export async function assembleGateway(opts: AssembleOptions): Promise<Gateway> {
  const { config, logger } = opts;
  const options: GatewayOptions = { config, logger, devices: opts.devices, now: opts.now, features: [], http: [] };
  if (config.chip) {
    const trust = await loadTrustStore(config.chip.trustStore);
    if (!trust.ok) throw new AssemblyError(`chip.trustStore: ${trust.detail ?? trust.reason}`);
    logger.info({ trustStore: config.chip.trustStore, anchors: trust.value.certificates.length }, 'chip trust store loaded');
    options.chip = new PassiveAuthChipCheck(() => trust.value);
  }
  return new Gateway(options);
}
