// The running gateway: the core services gateway/compose.ts built (store first) and its features in start
// order. It owns only the order: start() starts them one after another, stop() stops the started ones in
// reverse and closes the store last. The decision path (reader → lane → decision service → store →
// turnstile) never reaches the network; telemetry listens to the bus and is never called by a lane.
import type { Logger } from 'pino';
import type { AlarmService } from './alarms.js';
import type { GatewayConfig } from './config/schema.js';
import type { EventBus } from './events.js';
import type { Feature } from './feature.js';
import type { Authenticator } from './http/auth.js';
import type { DecisionService } from './lane/decision-service.js';
import type { LaneController } from './lane/lane-controller.js';
import type { GatewayMetrics } from './metrics.js';
import type { AuditLog } from './store/audit-log.js';
import type { EventStore } from './store/event-store.js';
import type { PersonalVault } from './store/personal.js';
import type { StoreWatch } from './store/store-watch.js';

export type { Feature } from './feature.js';

export const VERSION = '0.1.0';

/** The services every feature and HTTP plugin is built from. */
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
  auth: Authenticator;
  siteKey: Buffer;
  personal?: PersonalVault;
  now: () => number;
  setFreePassage(lane: string, on: boolean, by: string, reason: string): boolean;
}

export class Gateway {
  private readonly started: Feature[] = [];

  /** `features` in start order; `address` is the HTTP listener's URL once it listens. */
  constructor(
    readonly core: GatewayCore,
    private readonly features: readonly Feature[],
    private readonly address: () => string,
  ) {}

  get url(): string {
    return this.address();
  }

  /** Starts each feature in order; one that throws stops the start there (stop() undoes what started). */
  async start(): Promise<void> {
    for (const f of this.features) {
      await f.start();
      this.started.push(f);
    }
    const { core } = this;
    core.logger.info({ url: this.url, lanes: [...core.lanes.keys()], bootId: core.store.bootId }, 'gateway started');
  }

  /** Stops the started features in reverse, each even if another failed, then closes the store. */
  async stop(): Promise<void> {
    for (const f of this.started.splice(0).reverse()) {
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
