// Alarms: committed to the event log first (so none is lost), then announced on the bus for MQTT and the console.
// The active set is kept for operators until acknowledged; acknowledgements are logged too.
import { ulid } from 'ulid';
import type { Alarm, AlarmKind, EventBus } from './events.js';
import type { EventStore } from './store/event-store.js';
import { factEvent } from './store/types.js';

export class AlarmService {
  private readonly active = new Map<string, Alarm & { acknowledged?: { by: string; ts: number } }>();
  /** The logged event of each active alarm: its acknowledgement points back at it (refId). */
  private readonly loggedAs = new Map<string, string>();

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly now: () => number = Date.now,
    private readonly maxActive = 500,
  ) {}

  raise(kind: AlarmKind, lane: string | null, detail: Record<string, string | number | boolean> = {}): Alarm {
    const alarm: Alarm = { id: ulid(), kind, lane, ts: this.now(), detail };
    const logged = this.store.append(
      factEvent('alarm', lane, { kind, alarmId: alarm.id, ...detail }, { ts: alarm.ts }),
    );
    this.active.set(alarm.id, alarm);
    this.loggedAs.set(alarm.id, logged.id);
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
    // Pointing at the alarm's event lets the event detail say who acknowledged it and when.
    this.store.append(
      factEvent(
        'system',
        a.lane,
        { action: 'alarm-acknowledged', alarmId: id, by },
        { refId: this.loggedAs.get(id) ?? null },
      ),
    );
    this.bus.emit('alarm.acknowledged', { id, by, ts: a.acknowledged.ts });
    return true;
  }

  list(): Array<Alarm & { acknowledged?: { by: string; ts: number } }> {
    return [...this.active.values()].reverse();
  }
}
