// Turns a validated config into the gateway's full set of options: the optional ports (chip trust store,
// face models, watchlist) and features (telemetry) a site's config asks for. Shared by `gate06 gateway`
// and `gate06 demo`, so the demo runs exactly what a gate box runs.

import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Camera } from '../drivers/camera/index.js';
import { MjpegCamera } from '../drivers/camera/mjpeg-camera.js';
import { SnapshotCamera } from '../drivers/camera/snapshot-camera.js';
import { resolveSecret } from './config/load.js';
import type { GatewayConfig } from './config/schema.js';
import { consolePlugin } from './console/plugin.js';
import { PassiveAuthChipCheck } from './credentials/chip.js';
import { loadTrustStore } from './credentials/icao/index.js';
import type { DeviceFactory } from './devices.js';
import { EnrollmentStore } from './face/enrollment.js';
import { parseEnrollmentKey } from './face/enrollment-crypto.js';
import { cameraKey, PipelineFaceCheck } from './face/face-check.js';
import { DEFAULT_CACHE_DIR } from './face/model-files.js';
import { FacePipeline } from './face/pipeline.js';
import { loadThresholds } from './face/thresholds.js';
import { type Feature, Gateway, type GatewayCore, type GatewayOptions, VERSION } from './gateway.js';
import { enrollmentRoutes } from './http/enrollment-routes.js';
import { type CommandHandlers, CommandRefused } from './telemetry/commands.js';
import { Telemetry } from './telemetry/telemetry.js';
import { Watchlist } from './watchlist.js';

export interface AssembleOptions {
  config: GatewayConfig;
  logger: Logger;
  devices: DeviceFactory;
  now?: () => number;
  /** Extra features and HTTP plugins (the console, enrollment) added by the caller. */
  features?: GatewayOptions['features'];
  http?: GatewayOptions['http'];
}

export class AssemblyError extends Error {}

export async function assembleGateway(opts: AssembleOptions): Promise<Gateway> {
  const { config, logger } = opts;
  const options: GatewayOptions = {
    config,
    logger,
    devices: opts.devices,
    now: opts.now,
    features: [...(opts.features ?? [])],
    // The operator console, log search and security headers ship with every gateway.
    http: [consolePlugin(), ...(opts.http ?? [])],
  };
  if (config.chip) {
    const trust = await loadTrustStore(config.chip.trustStore);
    if (!trust.ok) throw new AssemblyError(`chip.trustStore: ${trust.detail ?? trust.reason}`);
    logger.info(
      { trustStore: config.chip.trustStore, anchors: trust.value.certificates.length },
      'chip trust store loaded',
    );
    options.chip = new PassiveAuthChipCheck(() => trust.value);
  }
  let watchlist: Watchlist | undefined;
  if (config.watchlist) {
    watchlist = new Watchlist(config.watchlist.signerJwksFile, config.site.id);
    if (config.watchlist.file) {
      const loaded = watchlist.loadFile(config.watchlist.file);
      if (loaded.ok) logger.info({ version: loaded.version, entries: loaded.entries }, 'watchlist loaded');
      else logger.warn({ reason: loaded.reason }, 'watchlist file not loaded');
    }
    options.watchlist = watchlist;
  }
  if (config.mqtt) options.features!.push((core) => telemetryFeature(core, watchlist));
  const needsFace = config.gate.lanes.some((l) =>
    [l.entry, l.exit].some((side) => (side?.face.requireFor.length ?? 0) > 0),
  );
  if (needsFace || config.face.enrollmentKey) await addFace(options, logger);
  return new Gateway(options);
}

/** Face models, thresholds, cameras and enrollment: loaded only where a lane asks for faces or enrollment is on. */
async function addFace(options: GatewayOptions, logger: Logger): Promise<void> {
  const { config } = options;
  const pipeline = await FacePipeline.load({ modelsDir: config.face.modelsDir ?? DEFAULT_CACHE_DIR });
  const thresholds = await loadThresholds(config.face.thresholdsFile);
  const cameras = new Map<string, Camera>();
  for (const lane of config.gate.lanes) {
    for (const [direction, side] of [
      ['in', lane.entry],
      ['out', lane.exit],
    ] as const) {
      const cam = side?.camera;
      if (!cam) continue;
      cameras.set(
        cameraKey(lane.id, direction),
        cam.kind === 'mjpeg'
          ? new MjpegCamera({ url: cam.url, timeoutMs: cam.timeoutMs })
          : new SnapshotCamera({ url: cam.url, timeoutMs: cam.timeoutMs }),
      );
    }
  }
  let enrollment: EnrollmentStore | undefined;
  let check: PipelineFaceCheck | undefined;
  options.features!.push((core) => {
    if (config.face.enrollmentKey) {
      const key = parseEnrollmentKey(resolveSecret(config.face.enrollmentKey));
      if (!key.ok) throw new AssemblyError(`face.enrollmentKey: ${key.detail}`);
      // On a log file re-opened empty (deleted or replaced) the migrations make the tables again; the
      // templates in memory still serve.
      enrollment = new EnrollmentStore({
        repo: core.store.repos.enrollment,
        key: key.key,
        keyId: config.store.personal.keyId,
      });
      const loaded = enrollment.load();
      logger.info({ loaded }, 'enrolled templates loaded');
    }
    check = new PipelineFaceCheck({ pipeline, thresholds, cameras, enrollment });
    return {
      name: 'face',
      start: async () => {
        await Promise.all([...cameras.values()].map((c) => c.start()));
      },
      stop: async () => {
        await Promise.allSettled([...cameras.values()].map((c) => c.stop()));
      },
    };
  });
  // The decision service holds this port from construction; the check itself exists once the store does.
  options.face = {
    check: (req) => (check ? check.check(req) : Promise.resolve({ ok: false, reason: 'face.unavailable', facts: {} })),
  };
  options.http!.push(async (app, core) => {
    if (enrollment)
      await app.register(enrollmentRoutes, {
        enrollment,
        pipeline,
        authorize: () => core.auth.require('admin'),
        bodyLimit: core.config.http.bodyLimitBytes,
      });
  });
}

/**
 * What the IOC's commands do on this gate. A valid command that names a lane the gate does not have, or brings
 * a watchlist that does not verify, is refused (cmd.refused), never reported as carried out.
 */
export function iocCommandHandlers(
  core: Pick<GatewayCore, 'setFreePassage' | 'logger'>,
  watchlist: Pick<Watchlist, 'load'> | undefined,
): Omit<CommandHandlers, 'resend'> {
  return {
    'free-passage': (cmd) => {
      if (!core.setFreePassage(cmd.lane, cmd.on, 'ioc-command', cmd.reason))
        throw new CommandRefused(`no lane ${cmd.lane} on this gate`);
    },
    watchlist: (cmd) => {
      if (!watchlist) throw new CommandRefused('no watchlist.signerJwksFile configured on this gate');
      const r = watchlist.load(cmd.jws);
      if (!r.ok) throw new CommandRefused(`watchlist not loaded: ${r.reason}`);
      core.logger.info({ version: r.version, entries: r.entries }, 'watchlist updated by the IOC');
    },
  };
}

function telemetryFeature(core: GatewayCore, watchlist: Watchlist | undefined): Feature {
  const telemetry = new Telemetry({
    config: core.config,
    store: core.store,
    bus: core.bus,
    alarms: core.alarms,
    logger: core.logger,
    version: VERSION,
    resolveSecret,
    handlers: iocCommandHandlers(core, watchlist),
    owe: (what, run) => core.storeWatch.writeOrOwe(what, run),
  });
  const gauges = new Gauge({
    name: 'gate06_telemetry',
    help: 'MQTT telemetry: connected, outbox depth and capacity, published windows, errors',
    labelNames: ['stat'] as const,
    registers: [core.metrics.registry],
    collect() {
      const s = telemetry.stats();
      for (const [k, v] of Object.entries(s)) if (typeof v === 'number') this.set({ stat: k }, v);
    },
  });
  void gauges;
  return {
    name: 'telemetry',
    start: async () => {
      const r = await telemetry.start();
      if (!r.ok) throw new AssemblyError(r.error);
    },
    stop: () => telemetry.stop(),
  };
}
