import t from 'tap';
import { countsSince, startOfLocalDay } from '../../../gateway/console/today-counts.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import { type EventType, factEvent } from '../../../gateway/store/types.js';

t.test('the day starts at local midnight in Vietnam (UTC+7), not at UTC midnight', async (t) => {
  const t0 = Date.parse('2026-03-10T02:30:00Z'); // 09:30 in Hà Nội
  t.equal(new Date(startOfLocalDay(t0, 'Asia/Ho_Chi_Minh')).toISOString(), '2026-03-09T17:00:00.000Z');
  const late = Date.parse('2026-03-10T18:00:00Z'); // 01:00 on the 11th in Hà Nội
  t.equal(new Date(startOfLocalDay(late, 'Asia/Ho_Chi_Minh')).toISOString(), '2026-03-10T17:00:00.000Z');
});

t.test('counts passages per lane and direction, denials and manual opens since a time', async (t) => {
  const store = new EventStore({ path: ':memory:' });
  t.teardown(() => store.close());
  const ins = (ts: number, type: EventType, lane: string, direction: 'in' | 'out', decision: 'allow' | 'deny' | null) =>
    store.append({ ...factEvent(type, lane, {}, { ts, direction }), decision });
  ins(5, 'passage', 'L1', 'in', null); // before "today"
  ins(20, 'passage', 'L1', 'in', null);
  ins(21, 'passage', 'L1', 'out', null);
  ins(22, 'decision', 'L1', 'in', 'deny');
  ins(23, 'decision', 'L1', 'in', 'allow');
  ins(24, 'manual-open', 'L2', 'in', 'allow');
  t.same(countsSince(store, 10, ['L1', 'L2']), [
    { lane: 'L1', in: 1, out: 1, denied: 1, manualOpens: 0 },
    { lane: 'L2', in: 0, out: 0, denied: 0, manualOpens: 1 },
  ]);
});
