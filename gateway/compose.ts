// The composition root: turns a validated config into a Gateway. It builds the store first, then the services
// on it (alarms, auth, the optional chip / face / watchlist ports the config asks for, the decision service,
// the lanes), then the features in the order the Gateway starts them — and stops them in reverse:
//
//   store watch → HTTP routes → caller's features → telemetry → face cameras → lanes → HTTP listen → retention
//
// Shared by `gate06 gateway`, `gate06 demo` and the tests, so the demo runs exactly what a gate box runs.

import type { Logger } from 'pino';
import { AlarmService } from './alarms.js';
import { resolveSecret } from './config/load.js';
import type { Direction, GatewayConfig } from './config/schema.js';
import { type ConsoleOptions, consolePlugin } from './console/plugin.js';
import { ticketKeys } from './credentials/ticket.js';
import type { DeviceFactory } from './devices.js';
import { EventBus } from './events.js';
import type { Feature } from './feature.js';
import { FireMode } from './fire-mode.js';
import { Gateway, type GatewayCore, VERSION } from './gateway.js';
import { registerStoreGauges, registerTelemetryGauges } from './health-gauges.js';
import { Authenticator } from './http/auth.js';
import { HttpFront, type HttpPlugin } from './http-front.js';
import { iocCommandHandlers } from './ioc-command-handlers.js';
import { jwksReloader } from './jwks-reloader.js';
import { DecisionService } from './lane/decision-service.js';
import { LaneController } from './lane/lane-controller.js';
import type { ChipCheck, FaceCheck, OnlineTicketValidator, WatchlistCheck } from './lane/ports.js';
import { laneReaders } from './lane/reader-pairing.js';
import { LogThrottle } from './log-throttle.js';
import { GatewayMetrics } from './metrics.js';
import { buildFace, chipCheck, loadWatchlist } from './optional-ports.js';
import { RetentionSchedule } from './retention-schedule.js';
import { EventStore } from './store/event-store.js';
import { StoreWatch } from './store/store-watch.js';
import { factEvent } from './store/types.js';
import { Telemetry } from './telemetry/telemetry.js';
import type { Watchlist } from './watchlist.js';

/** A lane's refused decisions are logged once in this period, with the count held back since. */
const UNCOMMITTED_LOG_EVERY_MS = 10_000;

export type { HttpPlugin } from './http-front.js';

/** The decision service's optional ports. */
export interface Ports {
  chip?: ChipCheck;
  face?: FaceCheck;
  watchlist?: WatchlistCheck;
  /** The railway's online ticket check, under an agreement (docs/station.md); offline-only without one. */
  onlineTickets?: OnlineTicketValidator;
}

export interface ComposeOptions {
  config: GatewayConfig;
  logger: Logger;
  devices: DeviceFactory;
  now?: () => number;
  /** The lanes' clock for durations (grant deadlines, pulses); performance.now() unless a test steps it. */
  monotonicNow?: () => number;
  /** The operator console (ships with every gateway); false leaves it out. */
  console?: ConsoleOptions | false;
  /** Ports given instead of the ones the config asks for (a test's chip or face check). */
  ports?: Ports;
  /** Extra features built from the core; they start before telemetry and the lanes. */
  features?: Array<(core: GatewayCore) => Feature | Promise<Feature>>;
  /** Extra HTTP plugins, registered after the console (and before enrollment's routes). */
  http?: HttpPlugin[];
}

export async function composeGateway(opts: ComposeOptions): Promise<Gateway> {
  const now = opts.now ?? Date.now;
  const store = openStore(opts.config, opts.logger, now);
  try {
    return await composeOnStore(opts, store, now);
  } catch (err) {
    // Nothing started yet: only the store holds anything (its file, its checkpoint worker).
    store.close();
    throw err;
  }
}

function openStore(config: GatewayConfig, logger: Logger, now: () => number): EventStore {
  return new EventStore({
    path: config.store.path,
    walMaxMb: config.store.walMaxMb,
    now,
    backgroundCheckpointMs: 200,
    busyTimeoutMs: config.store.busyTimeoutMs,
    quickCheckEveryMs: config.store.quickCheckEveryMin * 60_000,
    onWarning: (message) => logger.warn({ channel: 'store' }, message),
  });
}

async function composeOnStore(opts: ComposeOptions, store: EventStore, now: () => number): Promise<Gateway> {
  const { config, logger } = opts;
  const bus = new EventBus();
  bus.onListenerError = (err, event) => logger.error({ err, event }, 'event listener failed');
  // The store watch raises through the alarm service, which owes its log writes to the store watch.
  const storeWatch: StoreWatch = new StoreWatch({
    store,
    logger,
    raise: (kind, lane, detail) => alarms.raise(kind, lane, detail),
    path: config.store.path === ':memory:' ? null : config.store.path,
    checkEveryMs: config.store.checkEveryMs,
    probeEveryMs: config.store.probeEveryMs,
    minFreeBytes: config.store.minFreeMb * 1024 * 1024,
    minFreePercent: config.store.minFreePercent,
    now,
  });
  const owe = (what: string, run: () => void): void => storeWatch.writeOrOwe(what, run);
  const alarms = new AlarmService(store, bus, now, 500, owe);
  const siteKey = resolveSecret(config.site.idHashKey);
  const personal =
    config.store.personal.enabled && config.store.personal.key
      ? store.repos.personalVault(
          resolveSecret(config.store.personal.key),
          config.store.personal.keyId,
          config.store.personal.retentionDays * 86400_000,
        )
      : undefined;
  const auth = authenticator(config, logger, bus);

  const chip = opts.ports && 'chip' in opts.ports ? opts.ports.chip : await chipCheck(config, logger);
  const watchlist = loadWatchlist(config, logger);
  const face = opts.ports?.face
    ? undefined
    : await buildFace(config, logger, store, (p) => bus.emit('face.prompt', { ...p, ts: now() }));
  const uncommittedLines = new LogThrottle({ everyMs: UNCOMMITTED_LOG_EVERY_MS, monotonicNow: opts.monotonicNow });
  const decisions = new DecisionService({
    config,
    store,
    bus,
    ticketKeys: jwksReloader({
      file: config.tickets.jwksFile,
      what: 'ticket issuer keys',
      build: (jwks) => ticketKeys(jwks, config.tickets.rememberVerified),
      logger,
    }),
    siteKey,
    now,
    chip,
    face: opts.ports?.face ?? face?.check,
    watchlist: opts.ports?.watchlist ?? watchlist,
    onlineTickets: opts.ports?.onlineTickets,
    personal,
    onAlarm: (kind, lane, detail) => alarms.raise(kind, lane, detail),
    onUncommitted: ({ lane, source, detail, cause }) => {
      // The outage itself is logged once by the store watch; this says which lanes and devices it is denying,
      // once a period each, with the count held back since (at rush hour it would be a line per presentation).
      const heldBack = uncommittedLines.pass(`${cause}:${lane}:${source}`);
      if (heldBack === null) return;
      if (cause === 'store')
        logger.warn(
          { channel: 'store', lane, source, detail, deniedSinceLastLine: heldBack },
          'decision not committed: answered store.unavailable',
        );
      else
        logger.error(
          { channel: 'decision', lane, source, detail, deniedSinceLastLine: heldBack },
          'decision failed on an internal error, not the store: nothing committed, answered store.unavailable (a deny)',
        );
    },
    write: owe,
    logger,
  });

  const lanes = new Map<string, LaneController>();
  const fire = new FireMode({ lanes, alarms, bus, store, owe, logger, now });
  for (const lane of config.gate.lanes) {
    const qr: Partial<Record<Direction, ReturnType<DeviceFactory['qrScanner']>>> = {};
    const chipReaders: Partial<Record<Direction, ReturnType<DeviceFactory['chipReader']>>> = {};
    const pcsc: Partial<Record<Direction, ReturnType<DeviceFactory['pcscChipReader']>>> = {};
    for (const { direction, qrScanner, chipReader } of laneReaders(lane)) {
      if (qrScanner) qr[direction] = opts.devices.qrScanner(qrScanner, config.devices);
      if (chipReader?.kind === 'pcsc') pcsc[direction] = opts.devices.pcscChipReader(chipReader.reader);
      else if (chipReader) chipReaders[direction] = opts.devices.chipReader(chipReader.port, config.devices);
    }
    const turnstile = opts.devices.turnstile(lane.turnstile, config.devices);
    lanes.set(
      lane.id,
      new LaneController({
        config: lane,
        decisions,
        store,
        bus,
        alarms,
        devices: { turnstile, qr, chip: chipReaders, pcsc },
        cloneNotExcluded: config.policy.chipCloneNotExcluded,
        logger: logger.child({ channel: 'lane', lane: lane.id }),
        now,
        monotonicNow: opts.monotonicNow,
        write: owe,
      }),
    );
    turnstile.on('fireAlarm', (active) => fire.set(active, lane.id));
  }
  const metrics = new GatewayMetrics(bus);
  registerStoreGauges(metrics, storeWatch);
  const core: GatewayCore = {
    config,
    logger,
    bus,
    store,
    storeWatch,
    alarms,
    audit: store.repos.auditLog(now),
    metrics,
    decisions,
    lanes,
    auth,
    siteKey,
    personal,
    now,
    setFreePassage: (laneId, on, by, reason) => {
      const lane = lanes.get(laneId);
      if (!lane) return false;
      // Opening is only done once it is logged (it throws while the store is down: nothing is allowed
      // unlogged); closing is the safe direction and is never refused, its record owed if need be.
      const record = factEvent('free-passage', laneId, { requested: on, by, why: reason.slice(0, 200) }, { ts: now() });
      if (on) store.append(record);
      else owe('free-passage', () => store.append(record));
      lane.setFreePassage(on);
      return true;
    },
  };

  const plugins: HttpPlugin[] = [
    ...(opts.console === false ? [] : [consolePlugin(opts.console ?? {})]),
    ...(opts.http ?? []),
    ...(face ? [face.routes] : []),
  ];
  const http = new HttpFront(core, plugins);
  const features: Feature[] = [];
  for (const make of opts.features ?? []) features.push(await make(core));
  if (config.mqtt) features.push(telemetry(core, watchlist));
  if (face) features.push(face.cameras);
  return new Gateway(
    core,
    [
      { name: 'store watch', start: async () => storeWatch.start(), stop: async () => storeWatch.stop() },
      // Routes before the features and lanes: the console hooks the bus and the auth as it registers.
      http.routes,
      // Features before lanes: telemetry must already hear the device links, lane states and alarms a lane
      // reports as it opens its ports (a reader missing at boot), and count every event from the first one.
      ...features,
      ...[...lanes.values()].map(
        (lane): Feature => ({ name: `lane ${lane.id}`, start: () => lane.start(), stop: () => lane.stop() }),
      ),
      // Listening last, closing first: no decision arrives over HTTP before the lanes run or after they stop.
      http.listener,
      new RetentionSchedule({
        store,
        personal,
        maxAgeMs: config.store.retentionDays * 86400_000,
        maxBytes: config.store.maxSizeMb * 1024 * 1024,
        logger,
        now,
      }),
    ],
    () => http.url,
  );
}

function authenticator(config: GatewayConfig, logger: Logger, bus: EventBus): Authenticator {
  const auth = new Authenticator();
  auth.onDenied = (req, why) => {
    logger.warn({ channel: 'auth', url: req.url.split('?')[0], ip: req.ip, why }, 'access denied');
    bus.emit('input.rejected', { source: 'http', reason: req.principal ? 'forbidden' : 'unauthorized' });
  };
  config.http.deviceTokens.forEach((ref, i) =>
    auth.addToken(resolveSecret(ref), { kind: 'token', role: 'device', name: `device-token-${i}` }),
  );
  // Integration tokens read the log and export it, nothing more. `staffTokens` is their former name, kept
  // working (same role, same audit names as before) so existing configs load; it warns at every start.
  config.http.integrationTokens.forEach((ref, i) =>
    auth.addToken(resolveSecret(ref), { kind: 'token', role: 'integration', name: `integration-token-${i}` }),
  );
  if (config.http.staffTokens.length > 0)
    logger.warn({ channel: 'auth' }, 'http.staffTokens is deprecated: rename it to http.integrationTokens');
  config.http.staffTokens.forEach((ref, i) =>
    auth.addToken(resolveSecret(ref), { kind: 'token', role: 'integration', name: `staff-token-${i}` }),
  );
  return auth;
}

function telemetry(core: GatewayCore, watchlist: Watchlist | undefined): Telemetry {
  const commandTargets = {
    setFreePassage: core.setFreePassage,
    // The feature below owns the outbox; a resend arrives only once it has started.
    resendCountsSince: (since: number) => feature.resendSince(since),
    watchlist,
    logger: core.logger,
  };
  const feature: Telemetry = new Telemetry({
    config: core.config,
    store: core.store,
    bus: core.bus,
    alarms: core.alarms,
    logger: core.logger,
    version: VERSION,
    resolveSecret,
    handlers: iocCommandHandlers(commandTargets),
    owe: (what, run) => core.storeWatch.writeOrOwe(what, run),
  });
  registerTelemetryGauges(core.metrics, feature);
  return feature;
}
