// The one alarm path (issue #12): every alarm of the daemon is raised here, whoever notices it (a lane, the
// decision service, the fire input, the store watch, telemetry's clock and outbox watch, the daemon's
// unhandled-rejection guard). Nothing else emits `alarm.raised`: features that notice trouble take the narrow
// AlarmRaiser port, so an alarm cannot reach MQTT while skipping the event log and the console's active set.
// Alarms: committed to the event log first (so none is lost), then announced on the bus for MQTT and the console.
// The active set is kept for operators until acknowledged; acknowledgements are logged too. While the log
// cannot be written (the store-unavailable alarm itself, above all) the write is owed to the store watch's
// backlog and the alarm still goes out: operators and the IOC must hear of an outage the log cannot record.
import { ulid } from 'ulid';
import type { Alarm, AlarmKind, EventBus } from './events.js';
import type { EventStore } from './store/event-store.js';
import { factEvent } from './store/types.js';

/** Writes to the log now, or owes the write until the store is back (StoreWatch.writeOrOwe). */
export type LogWriter = (what: string, run: () => void) => void;

/** What a feature needs to raise an alarm: AlarmService satisfies it; tests may pass their own. */
export interface AlarmRaiser {
  raise(kind: AlarmKind, lane: string | null, detail?: Record<string, string | number | boolean>): unknown;
}

export class AlarmService implements AlarmRaiser {
  private readonly active = new Map<string, Alarm & { acknowledged?: { by: string; ts: number } }>();
  /** The logged event of each active alarm: its acknowledgement points back at it (refId). */
  private readonly loggedAs = new Map<string, string>();
  private readonly write: LogWriter;

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly now: () => number = Date.now,
    private readonly maxActive = 500,
    write?: LogWriter,
  ) {
    this.write = write ?? ((_what, run) => run());
  }

  raise(kind: AlarmKind, lane: string | null, detail: Record<string, string | number | boolean> = {}): Alarm {
    const alarm: Alarm = { id: ulid(), kind, lane, ts: this.now(), detail };
    this.active.set(alarm.id, alarm);
    this.write('alarm', () => {
      const logged = this.store.append(
        factEvent('alarm', lane, { kind, alarmId: alarm.id, ...detail }, { ts: alarm.ts }),
      );
      // An owed write runs later, perhaps after the alarm left the active set.
      if (this.active.has(alarm.id)) this.loggedAs.set(alarm.id, logged.id);
    });
    if (this.active.size > this.maxActive) {
      const oldest = this.active.keys().next().value!;
      this.active.delete(oldest);
      this.loggedAs.delete(oldest);
    }
    this.bus.emit('alarm.raised', alarm);
    return alarm;
  }

  acknowledge(id: string, by: string): boolean {
    const a = this.active.get(id);
    if (!a || a.acknowledged) return false;
    a.acknowledged = { by, ts: this.now() };
    const ts = a.acknowledged.ts;
    // Pointing at the alarm's event lets the event detail say who acknowledged it and when. An alarm whose own
    // write is still owed has no event id yet; the acknowledgement then names it by alarmId only.
    this.write('acknowledgement', () =>
      this.store.append(
        factEvent(
          'system',
          a.lane,
          { action: 'alarm-acknowledged', alarmId: id, by },
          { ts, refId: this.loggedAs.get(id) ?? null },
        ),
      ),
    );
    this.bus.emit('alarm.acknowledged', { id, by, ts });
    return true;
  }

  list(): Array<Alarm & { acknowledged?: { by: string; ts: number } }> {
    return [...this.active.values()].reverse();
  }
}
