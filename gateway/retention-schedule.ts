// The retention timer: applies the store's retention (age and size of the event log) and purges expired
// personal fields once at start and then every hour. Only the schedule lives here; what is removed is the
// store's business (EventStore.applyRetention, PersonalVault.purgeExpired).
import type { Logger } from 'pino';
import type { Feature } from './feature.js';
import type { EventStore } from './store/event-store.js';
import type { PersonalVault } from './store/personal.js';

/** Runs `fn` every `ms` until the returned function is called. */
export type Repeat = (fn: () => void, ms: number) => () => void;

const everyUnref: Repeat = (fn, ms) => {
  const timer = setInterval(fn, ms);
  // The timer alone must not keep a stopping daemon alive.
  timer.unref();
  return () => clearInterval(timer);
};

export interface RetentionScheduleDeps {
  store: Pick<EventStore, 'applyRetention'>;
  personal?: Pick<PersonalVault, 'purgeExpired'>;
  maxAgeMs: number;
  maxBytes: number;
  logger: Pick<Logger, 'info' | 'error'>;
  now: () => number;
  everyMs?: number;
  /** For tests: the repeating timer. */
  repeat?: Repeat;
}

export class RetentionSchedule implements Feature {
  readonly name = 'retention';
  private cancel?: () => void;

  constructor(private readonly deps: RetentionScheduleDeps) {}

  async start(): Promise<void> {
    this.runOnce();
    this.cancel = (this.deps.repeat ?? everyUnref)(() => this.runOnce(), this.deps.everyMs ?? 60 * 60_000);
  }

  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
  }

  /** One round; a failure (the store is down) is logged and the next round tries again. */
  runOnce(): void {
    const { store, personal, logger, now } = this.deps;
    try {
      const { removed } = store.applyRetention({ maxAgeMs: this.deps.maxAgeMs, maxBytes: this.deps.maxBytes });
      const purged = personal?.purgeExpired(now()) ?? 0;
      if (removed || purged) logger.info({ removed, purgedPersonal: purged }, 'retention applied');
    } catch (err) {
      logger.error({ err }, 'retention failed');
    }
  }
}
