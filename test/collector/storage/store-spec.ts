// The behaviours every CollectorStore must have; run against SQLite and PostgreSQL.
import type { Test } from 'tap';
import { foldBatch } from '../../../collector/storage/batch.js';
import type { CollectorStore } from '../../../collector/storage/types.js';
import { alarmRecord, countsRecord, healthRecord, statusRecord } from '../fixtures.js';

const T0 = 1_767_200_400_000; // 2025-12-31T17:00:00Z = 2026-01-01 00:00 in Vietnam

export function storeSpec(t: Test, open: () => Promise<CollectorStore>): void {
  let store: CollectorStore;
  t.before(async () => {
    store = await open();
  });
  t.teardown(() => store?.close());
  const all = (site: string) =>
    store.countsCells({ site, from: 0, to: T0 * 2, bucket: 'minute', utcOffsetMinutes: 420 });

  t.test('writing the same counts window twice stores it once', async (t) => {
    const rec = countsRecord('s-dup', 'g1', T0, [{ lane: 'L1', in: 4, out: 2, denied: 1 }]);
    await store.write(foldBatch([rec]));
    await store.write(foldBatch([rec]));
    t.same(
      (await all('s-dup')).map((c) => [c.in, c.out, c.denied]),
      [[4, 2, 1]],
    );
  });

  t.test('a later copy of a window overwrites the earlier one, within a batch and across batches', async (t) => {
    await store.write(
      foldBatch([
        countsRecord('s-over', 'g1', T0, [{ lane: 'L1', in: 1, out: 1 }]),
        countsRecord('s-over', 'g1', T0, [{ lane: 'L1', in: 9, out: 0 }]),
      ]),
    );
    t.same(
      (await all('s-over')).map((c) => c.in),
      [9],
    );
    await store.write(foldBatch([countsRecord('s-over', 'g1', T0, [{ lane: 'L1', in: 3, out: 0 }])]));
    t.same(
      (await all('s-over')).map((c) => c.in),
      [3],
    );
  });

  t.test('hour buckets sum windows by local hour, per lane', async (t) => {
    await store.write(
      foldBatch([
        countsRecord('s-hour', 'g1', T0, [
          { lane: 'L1', in: 1, out: 0 },
          { lane: 'L2', in: 5, out: 0 },
        ]),
        countsRecord('s-hour', 'g1', T0 + 60_000, [{ lane: 'L1', in: 2, out: 0 }]),
        countsRecord('s-hour', 'g1', T0 + 3_600_000, [{ lane: 'L1', in: 4, out: 0 }]),
      ]),
    );
    const cells = await store.countsCells({
      site: 's-hour',
      from: T0,
      to: T0 + 7_200_000,
      bucket: 'hour',
      utcOffsetMinutes: 420,
    });
    t.same(
      cells.map((c) => [c.bucketStart - T0, c.lane, c.in]),
      [
        [0, 'L1', 3],
        [0, 'L2', 5],
        [3_600_000, 'L1', 4],
      ],
    );
  });

  t.test(
    'a gate is online after its status, offline after its last will, and the will does not move lastSeen',
    async (t) => {
      await store.write(foldBatch([statusRecord('s-gate', 'g1', 'online', T0)]));
      let [g] = await store.gates('s-gate');
      t.match(g, { state: 'online', lastSeen: T0, bootId: 'boot-1' });
      await store.write(foldBatch([statusRecord('s-gate', 'g1', 'offline', T0 + 5000)]));
      [g] = await store.gates('s-gate');
      t.match(g, { state: 'offline', lastSeen: T0, statusAt: T0 + 5000 });
    },
  );

  t.test('health keeps only the latest report and leaves the status as it was', async (t) => {
    await store.write(
      foldBatch([statusRecord('s-health', 'g1', 'online', T0), healthRecord('s-health', 'g1', 3, T0 + 1)]),
    );
    await store.write(foldBatch([healthRecord('s-health', 'g1', 7, T0 + 2)]));
    const [g] = await store.gates('s-health');
    t.match(g, { state: 'online', outboxDepth: 7, outboxCapacity: 100, healthAt: T0 + 2, lastSeen: T0 + 2 });
    t.match(g!.health, { outbox: { depth: 7 } });
  });

  t.test('an alarm id seen twice is stored once', async (t) => {
    await store.write(foldBatch([alarmRecord('s-al', 'g1', 'a1', T0), alarmRecord('s-al', 'g1', 'a1', T0)]));
    await store.write(foldBatch([alarmRecord('s-al', 'g1', 'a1', T0), alarmRecord('s-al', 'g1', 'a2', T0 + 1)]));
    const rows = await store.alarms({ site: 's-al', limit: 10 });
    t.same(
      rows.map((a) => a.id),
      ['a2', 'a1'],
    );
  });

  t.test('lane and zone totals count windows starting at or after the given instant', async (t) => {
    await store.write(
      foldBatch([
        countsRecord('s-occ', 'g1', T0 - 60_000, [{ lane: 'L1', in: 100, out: 0 }], T0, {
          zones: [{ zone: 'z', in: 100, out: 0 }],
        }),
        countsRecord('s-occ', 'g1', T0, [{ lane: 'L1', in: 7, out: 2 }], T0, { zones: [{ zone: 'z', in: 7, out: 2 }] }),
      ]),
    );
    t.same(await store.laneTotals('s-occ', T0), { in: 7, out: 2 });
    t.same(await store.zoneTotals('s-occ', T0), [{ zone: 'z', in: 7, out: 2 }]);
  });

  t.test('denials by reason are stored with their window; a redelivered window replaces its reasons', async (t) => {
    const H = 3_600_000;
    const q = {
      site: 's-deny',
      from: T0,
      to: T0 + 86_400_000,
      groupBy: 'site',
      utcOffsetMinutes: 420,
    } as const;
    const reasons = async (grain: 'hour' | 'day') =>
      (await store.denialReasons({ ...q, grain })).map((c) => [c.bucketStart, c.reason, c.n]);
    await store.write(
      foldBatch([
        countsRecord('s-deny', 'g1', T0 + 9 * H, [
          { lane: 'L1', in: 5, out: 0, denied: 3, deniedByReason: { 'ticket.expired': 2, 'face.no-match': 1 } },
        ]),
        countsRecord('s-deny', 'g1', T0 + 9 * H + 60_000, [
          { lane: 'L2', in: 1, out: 0, denied: 4, deniedByReason: { 'ticket.expired': 4 } },
        ]),
        // An old gate: denials, no reasons.
        countsRecord('s-deny', 'g2', T0 + 10 * H, [{ lane: 'L1', in: 0, out: 0, denied: 2 }]),
      ]),
    );
    t.same(await reasons('day'), [
      [T0, 'face.no-match', 1],
      [T0, 'ticket.expired', 6],
    ]);
    t.same(await reasons('hour'), [
      [T0 + 9 * H, 'face.no-match', 1],
      [T0 + 9 * H, 'ticket.expired', 6],
    ]);
    // The first window again, now with one reason: its old reasons go, nothing is added.
    await store.write(
      foldBatch([
        countsRecord('s-deny', 'g1', T0 + 9 * H, [
          { lane: 'L1', in: 5, out: 0, denied: 3, deniedByReason: { 'policy.anti-passback': 3 } },
        ]),
      ]),
    );
    t.same(await reasons('day'), [
      [T0, 'policy.anti-passback', 3],
      [T0, 'ticket.expired', 4],
    ]);
    t.same(
      (await store.denialReasons({ ...q, grain: 'day', groupBy: 'lane' })).map((c) => [c.gate, c.lane, c.reason, c.n]),
      [
        ['g1', 'L1', 'policy.anti-passback', 3],
        ['g1', 'L2', 'ticket.expired', 4],
      ],
    );
  });
  t.test(
    'a deny code newer than this collector is stored and read back as the gate sent it, by window and by day',
    async (t) => {
      const q = { site: 's-newcode', from: T0, to: T0 + 86_400_000, groupBy: 'lane', utcOffsetMinutes: 420 } as const;
      const newCode = `chip.${'x'.repeat(59)}`; // as long as a code may be (contracts/topics.ts DENY_CODE_MAX_LENGTH)
      await store.write(
        foldBatch([
          countsRecord('s-newcode', 'g1', T0 + 3_600_000, [
            { lane: 'L1', in: 2, out: 0, denied: 4, deniedByReason: { 'ticket.revoked': 3, [newCode]: 1 } },
          ]),
        ]),
      );
      for (const grain of ['minute', 'hour', 'day'] as const) {
        t.same(
          (await store.denialReasons({ ...q, grain })).map((c) => [c.lane, c.reason, c.n]),
          [
            ['L1', newCode, 1],
            ['L1', 'ticket.revoked', 3],
          ],
          grain,
        );
      }
    },
  );
}
