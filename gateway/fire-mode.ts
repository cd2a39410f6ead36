// Fire mode: the fire panel is wired to a board input, and any lane's board reporting it frees every lane of
// the gate until every board that reported it has cleared. Safety first: the lanes open even when the log can
// only take the record later (the write is owed, StoreWatch.writeOrOwe).
import type { Logger } from 'pino';
import type { AlarmRaiser, LogWriter } from './alarms.js';
import type { EventBus } from './events.js';
import type { EventStore } from './store/event-store.js';
import { factEvent } from './store/types.js';

export interface FireModeDeps {
  /** Every lane of the gate; read at each change, so lanes added after construction are included. */
  lanes: { values(): Iterable<{ setFire(active: boolean): void }> };
  alarms: AlarmRaiser;
  bus: Pick<EventBus, 'emit'>;
  store: Pick<EventStore, 'append'>;
  owe: LogWriter;
  logger: Pick<Logger, 'warn'>;
  now: () => number;
}

export class FireMode {
  /** The boards (by lane id) that report the fire input active now. */
  private readonly sources = new Set<string>();

  constructor(private readonly deps: FireModeDeps) {}

  get active(): boolean {
    return this.sources.size > 0;
  }

  /** One board's fire input changed; only a change of the gate's fire state acts. */
  set(active: boolean, source: string): void {
    const { lanes, alarms, bus, store, owe, logger, now } = this.deps;
    const before = this.active;
    if (active) this.sources.add(source);
    else this.sources.delete(source);
    const after = this.active;
    if (before === after) return;
    logger.warn({ active: after, source }, 'fire alarm: free passage on every lane');
    owe('fire', () => store.append(factEvent('fire', null, { active: after, source }, { ts: now() })));
    if (after) alarms.raise('fire-alarm', null, { source });
    bus.emit('fire.mode', { active: after, ts: now() });
    for (const lane of lanes.values()) lane.setFire(after);
  }
}
