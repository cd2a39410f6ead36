// The composition root: reads nothing itself, builds every service from a validated config, starts the
// features in order and stops them in reverse. The decision path (reader → lane → decision service → store
// → turnstile) never reaches the network; telemetry listens to the bus and is never called by a lane.
import { readFileSync, statSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { AlarmService } from './alarms.js';
import { resolveSecret } from './config/load.js';
import type { Direction, GatewayConfig } from './config/schema.js';
import { type TicketKeys, ticketKeys } from './credentials/ticket.js';
import type { DeviceFactory } from './devices.js';
import { EventBus } from './events.js';
import { Authenticator, type Authenticator as AuthenticatorT } from './http/auth.js';
import { eventsRoutes } from './http/events-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { createHttpServer } from './http/server.js';
import { verifyRoutes } from './http/verify-routes.js';
import { DecisionService } from './lane/decision-service.js';
import { LaneController } from './lane/lane-controller.js';
import type { ChipCheck, FaceCheck, OnlineTicketValidator, WatchlistCheck } from './lane/ports.js';
import { laneReaders } from './lane/reader-pairing.js';
import { GatewayMetrics } from './metrics.js';
import type { AuditLog } from './store/audit-log.js';
import { EventStore } from './store/event-store.js';
import type { PersonalVault } from './store/personal.js';
import { STORE_PROBLEMS } from './store/store-errors.js';
import { StoreWatch } from './store/store-watch.js';
import { factEvent } from './store/types.js';

export const VERSION = '0.1.0';

/** A feature of the daemon (Zigbee2MQTT's extension shape): the constructor stores, start() works, stop() undoes. */
export interface Feature {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  devices: DeviceFactory;
  now?: () => number;
  /** Optional ports: wired when the site has a chip trust store, face models, a watchlist. */
  chip?: ChipCheck;
  face?: FaceCheck;
  watchlist?: WatchlistCheck;
  /** The railway's online ticket check, under an agreement (docs/station.md); offline-only without one. */
  onlineTickets?: OnlineTicketValidator;
  /** Extra features built from the core services (telemetry, console, enrollment ...). */
  features?: Array<(core: GatewayCore) => Feature | Promise<Feature>>;
  /** Extra HTTP plugins registered before listen. */
  http?: Array<(app: FastifyInstance, core: GatewayCore) => Promise<void>>;
}

export interface GatewayCore {
  config: GatewayConfig;
  logger: Logger;
  bus: EventBus;
  store: EventStore;
  /** The store's health: outage, free space, owed log writes (for /healthz and the metric). */
  storeWatch: StoreWatch;
  alarms: AlarmService;
  audit: AuditLog;
  metrics: GatewayMetrics;
  decisions: DecisionService;
  lanes: Map<string, LaneController>;
  auth: AuthenticatorT;
  siteKey: Buffer;
  personal?: PersonalVault;
  now: () => number;
  setFire(active: boolean, source: string): void;
  setFreePassage(lane: string, on: boolean, by: string, reason: string): boolean;
}

export class Gateway {
  readonly core: GatewayCore;
  private app?: FastifyInstance;
  private readonly features: Feature[] = [];
  private readonly started: Feature[] = [];
  private retentionTimer?: NodeJS.Timeout;
  private fireSources = new Set<string>();

  constructor(private readonly opts: GatewayOptions) {
    const { config, logger } = opts;
    const now = opts.now ?? Date.now;
    const bus = new EventBus();
    bus.onListenerError = (err, event) => logger.error({ err, event }, 'event listener failed');
    const store = new EventStore({
      path: config.store.path,
      walMaxMb: config.store.walMaxMb,
      now,
      backgroundCheckpointMs: 200,
      busyTimeoutMs: config.store.busyTimeoutMs,
      quickCheckEveryMs: config.store.quickCheckEveryMin * 60_000,
      onWarning: (message) => logger.warn({ channel: 'store' }, message),
    });
    const storeWatch = new StoreWatch({
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
    const decisions = new DecisionService({
      config,
      store,
      bus,
      ticketKeys: jwksReloader(config.tickets.jwksFile, config.tickets.rememberVerified, logger),
      siteKey,
      now,
      chip: opts.chip,
      face: opts.face,
      watchlist: opts.watchlist,
      onlineTickets: opts.onlineTickets,
      personal,
      onAlarm: (kind, lane, detail) => alarms.raise(kind, lane, detail),
      onUncommitted: (lane, detail) =>
        logger.warn({ channel: 'store', lane, detail }, 'decision not committed: answered store.unavailable'),
      write: owe,
    });
    const lanes = new Map<string, LaneController>();
    for (const lane of config.gate.lanes) {
      const qr: Partial<Record<Direction, ReturnType<DeviceFactory['qrScanner']>>> = {};
      const chip: Partial<Record<Direction, ReturnType<DeviceFactory['chipReader']>>> = {};
      const pcsc: Partial<Record<Direction, ReturnType<DeviceFactory['pcscChipReader']>>> = {};
      for (const { direction, qrScanner, chipReader } of laneReaders(lane)) {
        if (qrScanner) qr[direction] = opts.devices.qrScanner(qrScanner, config.devices);
        if (chipReader?.kind === 'pcsc') pcsc[direction] = opts.devices.pcscChipReader(chipReader.reader);
        else if (chipReader) chip[direction] = opts.devices.chipReader(chipReader.port, config.devices);
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
          devices: { turnstile, qr, chip, pcsc },
          cloneNotExcluded: config.policy.chipCloneNotExcluded,
          logger: logger.child({ channel: 'lane', lane: lane.id }),
          now,
          write: owe,
        }),
      );
      // The fire panel is wired to a board input; any lane's board reporting it frees every lane of the gate.
      turnstile.on('fireAlarm', (active) => this.core.setFire(active, lane.id));
    }
    const metrics = new GatewayMetrics(bus);
    registerStoreGauges(metrics, storeWatch);
    this.core = {
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
      setFire: (active, source) => {
        const before = this.fireSources.size > 0;
        if (active) this.fireSources.add(source);
        else this.fireSources.delete(source);
        const after = this.fireSources.size > 0;
        if (before === after) return;
        logger.warn({ active: after, source }, 'fire alarm: free passage on every lane');
        // Safety first: the lanes open even if the log can only take this later.
        owe('fire', () => store.append(factEvent('fire', null, { active: after, source }, { ts: now() })));
        if (after) alarms.raise('fire-alarm', null, { source });
        bus.emit('fire.mode', { active: after, ts: now() });
        for (const l of lanes.values()) l.setFire(after);
      },
      setFreePassage: (laneId, on, by, reason) => {
        const lane = lanes.get(laneId);
        if (!lane) return false;
        // Opening is only done once it is logged (it throws while the store is down: nothing is allowed
        // unlogged); closing is the safe direction and is never refused, its record owed if need be.
        const record = factEvent(
          'free-passage',
          laneId,
          { requested: on, by, why: reason.slice(0, 200) },
          { ts: now() },
        );
        if (on) store.append(record);
        else owe('free-passage', () => store.append(record));
        lane.setFreePassage(on);
        return true;
      },
    };
  }

  get url(): string {
    const addr = this.app?.server.address();
    return addr && typeof addr === 'object'
      ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
      : '';
  }

  async start(): Promise<void> {
    const { core, opts } = this;
    const { config, logger } = core;
    core.storeWatch.start();
    for (const make of opts.features ?? []) this.features.push(await make(core));
    this.app = await createHttpServer({
      limits: config.http,
      logger,
      title: 'gate06 gateway',
      version: VERSION,
      onRefused: (error) => core.bus.emit('input.rejected', { source: 'http', reason: error }),
    });
    await this.app.register(healthRoutes, { core, version: VERSION });
    await this.app.register(verifyRoutes, {
      decisions: core.decisions,
      lanes: core.lanes,
      auth: core.auth,
      bodyLimit: config.http.bodyLimitBytes,
    });
    await this.app.register(eventsRoutes, { store: core.store, audit: core.audit, auth: core.auth });
    for (const plugin of opts.http ?? []) await plugin(this.app, core);
    // Features before lanes: telemetry must already hear the device links, lane states and alarms a lane
    // reports as it opens its ports (a reader missing at boot), and count every event from the first one.
    for (const f of this.features) {
      await f.start();
      this.started.push(f);
    }
    for (const lane of core.lanes.values()) {
      await lane.start();
      this.started.push({ name: `lane ${lane.id}`, start: async () => {}, stop: () => lane.stop() });
    }
    await this.app.listen({ host: config.http.host, port: config.http.port });
    this.runRetention();
    this.retentionTimer = setInterval(() => this.runRetention(), 60 * 60_000);
    this.retentionTimer.unref();
    logger.info({ url: this.url, lanes: [...core.lanes.keys()], bootId: core.store.bootId }, 'gateway started');
  }

  private runRetention(): void {
    const { store, config, personal, logger, now } = this.core;
    try {
      const { removed } = store.applyRetention({
        maxAgeMs: config.store.retentionDays * 86400_000,
        maxBytes: config.store.maxSizeMb * 1024 * 1024,
      });
      const purged = personal?.purgeExpired(now()) ?? 0;
      if (removed || purged) logger.info({ removed, purgedPersonal: purged }, 'retention applied');
    } catch (err) {
      logger.error({ err }, 'retention failed');
    }
  }

  /**
   * Stops in reverse: HTTP first (no new decisions), then the lanes (no new scans), then the features
   * (telemetry closes its last window with every event in it, and flushes), then the store.
   */
  async stop(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.core.storeWatch.stop();
    await this.app?.close();
    for (const f of this.started.reverse()) {
      try {
        await f.stop();
      } catch (err) {
        this.core.logger.error({ err, feature: f.name }, 'feature failed to stop');
      }
    }
    this.core.bus.removeOwner(this.core.metrics);
    this.core.store.close();
  }
}

/** The store's health as metrics: available or not, the current problem, owed writes, low disk. */
function registerStoreGauges(metrics: GatewayMetrics, watch: StoreWatch): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'gate06_store_available',
    help: 'The event log can be written (1) or not (0: every decision is a deny with store.unavailable)',
    registers,
    collect() {
      this.set(watch.status().available ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gate06_store_problem',
    help: 'Why the event log cannot be written: 1 for the current problem, 0 for the others',
    labelNames: ['problem'] as const,
    registers,
    collect() {
      const now = watch.status().problem;
      for (const p of STORE_PROBLEMS) this.set({ problem: p }, p === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gate06_store_owed_writes',
    help: 'Log writes (alarms, passages, timed-out grants) waiting for the store to come back',
    registers,
    collect() {
      this.set(watch.status().owed);
    },
  });
  new Gauge({
    name: 'gate06_store_disk_low',
    help: "The store's file system is below store.minFreeMb or store.minFreePercent (1) or not (0)",
    registers,
    collect() {
      this.set(watch.status().diskLow ? 1 : 0);
    },
  });
}

/** Issuer keys rotate by kid: the JWKS file is re-read when it changes, checked at most every few seconds. */
function jwksReloader(file: string, rememberTokens: number, logger: Logger, checkEveryMs = 5000): () => TicketKeys {
  let keys: TicketKeys | null = null;
  let mtime = 0;
  let checkedAt = 0;
  const load = (): void => {
    const m = statSync(file).mtimeMs;
    if (keys && m === mtime) return;
    const jwks = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new Error(`${file}: not a JWKS (no keys array)`);
    keys = ticketKeys(jwks, rememberTokens);
    mtime = m;
    logger.info({ file, kids: jwks.keys.map((k) => k.kid) }, 'ticket issuer keys loaded');
  };
  load();
  return () => {
    const t = Date.now();
    if (t - checkedAt > checkEveryMs) {
      checkedAt = t;
      try {
        load();
      } catch (err) {
        // Keep the last good keys: a half-written JWKS must not stop the gate.
        logger.error({ err: (err as Error).message, file }, 'ticket issuer keys not reloaded');
      }
    }
    return keys!;
  };
}
