// The event log and its hash chain: every decision, passage and alarm is appended here (inside the database's
// transactions) before the gate acts on it. A hash chain over the plain columns makes edits show; personal
// fields (when a site keeps them) live outside the chain, so purging them by retention leaves it intact.
import { hash, randomBytes, randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { encodeEffects } from './admission-effects.js';
import type { PreparedStatement, StoreDatabase, TransactionMemory } from './database.js';
import type { MigrationStep } from './migrations.js';
import type { AdmissionEffects, EventType, NewEvent, StoredEvent } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The event log's own steps, versioned in user_version. Step 1 once also created the tables now owned by
 * the admission and personal repositories, and step 2 the audit log's: those owners create them IF NOT
 * EXISTS in their own first steps, so files made by the old steps keep theirs and new files get the same.
 */
export const EVENT_LOG_STEPS: readonly MigrationStep[] = [
  // 1: the event log, hash-chained
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        boot_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        lane TEXT,
        direction TEXT,
        credential TEXT,
        decision TEXT,
        reason TEXT,
        id_hash TEXT,
        id_masked TEXT,
        latency_ms REAL,
        ref_id TEXT,
        facts TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX events_ts ON events (ts);
      CREATE INDEX events_lane_ts ON events (lane, ts);
      CREATE INDEX events_id_hash ON events (id_hash) WHERE id_hash IS NOT NULL;
    `);
  },
  // 2: was the audit log (now the audit repository's first step); kept so user_version counts as before
  () => {},
  // 3: what a decision or a timeout changes in admission state (gateway/store/admission-repo.ts), in the event's
  // own row: the log is the source of the use counts and presence the gateway keeps in memory (issue #14).
  // Adding a nullable column rewrites no row, so a large file migrates at once.
  (db) => {
    db.exec('ALTER TABLE events ADD COLUMN effects TEXT');
  },
];

/** xorshift32 in [0, 1): plenty for the random part of a ULID that seq and the database already make unique. */
function fastRandom(seed: number): () => number {
  let x = seed || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export interface EventRow {
  seq: number;
  id: string;
  boot_id: string;
  ts: number;
  type: string;
  lane: string | null;
  direction: string | null;
  credential: string | null;
  decision: string | null;
  reason: string | null;
  id_hash: string | null;
  id_masked: string | null;
  latency_ms: number | null;
  ref_id: string | null;
  facts: string;
  effects: string | null;
  prev_hash: string;
  hash: string;
}

/** An event's chained columns in their fixed order: the INSERT's order and the bytes the chain hashes. */
type ChainedColumns = [
  seq: number,
  id: string,
  bootId: string,
  ts: number,
  type: string,
  lane: string | null,
  direction: string | null,
  credential: string | null,
  decision: string | null,
  reason: string | null,
  idHash: string | null,
  idMasked: string | null,
  latencyMs: number | null,
  refId: string | null,
  facts: string,
];

/**
 * A fixed field order, so the chain does not depend on JSON key order. An event's admission effects are
 * chained too, appended only when there are any: every event written before they existed (and every
 * event without effects) hashes exactly as it always did.
 */
function hashColumns(prevHash: string, columns: ChainedColumns, effects: string | null): string {
  const chained = JSON.stringify(columns);
  // The same text as JSON.stringify([...columns, effects]), without copying the array.
  const text = effects === null ? chained : `${chained.slice(0, -1)},${JSON.stringify(effects)}]`;
  return hash('sha256', `${prevHash}\n${text}`, 'hex');
}

export function chainHash(
  prevHash: string,
  r: Omit<EventRow, 'prev_hash' | 'hash' | 'effects'> & { effects?: string | null },
): string {
  return hashColumns(
    prevHash,
    [
      r.seq,
      r.id,
      r.boot_id,
      r.ts,
      r.type,
      r.lane,
      r.direction,
      r.credential,
      r.decision,
      r.reason,
      r.id_hash,
      r.id_masked,
      r.latency_ms,
      r.ref_id,
      r.facts,
    ],
    r.effects ?? null,
  );
}

export function rowToEvent(r: EventRow): StoredEvent {
  return {
    id: r.id,
    seq: r.seq,
    bootId: r.boot_id,
    ts: r.ts,
    type: r.type as EventType,
    lane: r.lane,
    direction: r.direction as StoredEvent['direction'],
    credential: r.credential as StoredEvent['credential'],
    decision: r.decision as StoredEvent['decision'],
    reason: r.reason as StoredEvent['reason'],
    idHash: r.id_hash,
    idMasked: r.id_masked,
    latencyMs: r.latency_ms,
    refId: r.ref_id,
    facts: JSON.parse(r.facts) as StoredEvent['facts'],
  };
}

export interface EventQuery {
  from?: number;
  to?: number;
  lane?: string;
  decision?: 'allow' | 'deny';
  credential?: string;
  type?: EventType;
  direction?: 'in' | 'out';
  reason?: string;
  idHash?: string;
  /** Return events with seq below this (newest first paging). */
  beforeSeq?: number;
  limit: number;
}

export type ChainVerdict =
  | { ok: true; events: number }
  | { ok: false; events: number; brokenAt: { seq: number; id: string; why: string } };

export interface LaneTallyRow {
  lane: string;
  type: string;
  direction: string | null;
  decision: string | null;
  n: number;
}

type CommitHook = (ev: StoredEvent) => void;

/** Where an event's admission effects go as it is inserted: the admission projections (admission-repo.ts). */
export interface EffectsSink {
  apply(effects: AdmissionEffects, seq: number, ts: number): void;
}

interface ChainTail {
  seq: number;
  hash: string;
}

export class EventLog implements TransactionMemory {
  readonly bootId = randomUUID();
  // Event ids only need to be unique and time-ordered within this database: a seeded fast PRNG instead of
  // a crypto read per id (which showed in the verify profile); monotonic within a millisecond.
  private readonly ulid = monotonicFactory(fastRandom(randomBytes(4).readUInt32LE(0)));
  private readonly hooks: Array<{ owner: object; fn: CommitHook }> = [];
  /**
   * The chain's tail: read from the file by the first write (and the first after a re-open), then kept
   * here, since this process is the file's only writer of events. Two reads per group commit before
   * (issue #14). A transaction or savepoint that rolls back puts it back (TransactionMemory). Not read at
   * open: a damaged file must still open, so that the store watch can report it.
   */
  private tail: ChainTail | null = null;
  // Positional parameters: binding 17 named ones from an object cost more than the insert's own B-tree work.
  private readonly insert: PreparedStatement;
  private readonly lastRow: PreparedStatement;
  private readonly sequenceRow: PreparedStatement;
  private readonly anchorRow: PreparedStatement;
  private readonly byId: PreparedStatement;
  private readonly byRef: PreparedStatement;
  private readonly watchlistHits: PreparedStatement;
  private readonly laneTally: PreparedStatement;

  constructor(
    private readonly db: StoreDatabase,
    private readonly now: () => number,
    private readonly effects: EffectsSink,
  ) {
    this.insert = db.statement(`INSERT INTO events
      (seq, id, boot_id, ts, type, lane, direction, credential, decision, reason, id_hash, id_masked, latency_ms, ref_id, facts, effects, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.lastRow = db.statement('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
    this.sequenceRow = db.statement("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
    this.anchorRow = db.statement("SELECT value FROM meta WHERE key = 'chain_anchor'");
    this.byId = db.statement('SELECT * FROM events WHERE id = ?');
    this.byRef = db.statement('SELECT id FROM events WHERE ref_id = ? ORDER BY seq LIMIT ?', { pluck: true });
    this.watchlistHits = db.statement(
      `SELECT id FROM events WHERE ts >= ? AND ((type = 'alarm' AND json_extract(facts, '$.kind') = 'watchlist-hit') OR reason = 'policy.watchlist')
       ORDER BY seq DESC LIMIT ?`,
      { pluck: true },
    );
    this.laneTally = db.statement(
      `SELECT lane, type, direction, decision, count(*) AS n FROM events
       WHERE ts >= ? AND lane IS NOT NULL AND (type = 'passage' OR type = 'manual-open' OR (type = 'decision' AND decision = 'deny'))
       GROUP BY lane, type, direction, decision`,
    );
    db.keepsInMemory(this);
  }

  mark(): ChainTail | null {
    return this.tail;
  }

  rollbackTo(mark: unknown): void {
    this.tail = mark as ChainTail | null;
  }

  committed(): void {}

  /** The file at the path is another one now (StoreDatabase's re-open): its tail is the one to follow. */
  reopened(): void {
    this.tail = null;
  }

  /** The seq of the newest event written (or removed by retention): what an admission checkpoint covers. */
  tailSeq(): number {
    this.tail ??= this.readTail();
    return this.tail.seq;
  }

  /** Where verification of the chain starts: the genesis, or the last event removed by retention. */
  chainAnchor(): { seq: number; hash: string } {
    const row = this.anchorRow().get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as { seq: number; hash: string }) : { seq: 0, hash: GENESIS_HASH };
  }

  /** fn runs inside the transaction that commits each event; if it throws, the event is not committed. */
  onCommitInTransaction(owner: object, fn: CommitHook): void {
    this.hooks.push({ owner, fn });
  }

  removeOwner(owner: object): void {
    for (let i = this.hooks.length - 1; i >= 0; i--) if (this.hooks[i]!.owner === owner) this.hooks.splice(i, 1);
  }

  /**
   * Commits one event durably and returns it. `extra` runs in the same transaction (ticket use counts,
   * presence, personal fields), so a decision and its side effects land together or not at all.
   * Inside a caller's transaction (a decision with its side effects, a group commit) the event joins it,
   * and an exception from `extra` or a hook unwinds the caller's transaction; alone, it gets its own.
   */
  append(ev: NewEvent, extra?: (stored: StoredEvent) => void): StoredEvent {
    return this.db.writeAlone(() => this.insertRow(ev, extra));
  }

  /** The hash the next event links to and the seq it takes (AUTOINCREMENT never reuses one, even after retention). */
  private readTail(): ChainTail {
    const last = this.lastRow().get() as ChainTail | undefined;
    const sequence = this.sequenceRow().get() as { seq: number } | undefined;
    return {
      seq: Math.max(last?.seq ?? 0, sequence?.seq ?? 0),
      hash: last?.hash ?? this.chainAnchor().hash,
    };
  }

  private insertRow(ev: NewEvent, extra?: (stored: StoredEvent) => void): StoredEvent {
    this.tail ??= this.readTail();
    const prevHash = this.tail.hash;
    const seq = this.tail.seq + 1;
    // Built from what is written rather than read back: no second parse of the facts just serialised.
    const out: StoredEvent = {
      id: this.ulid(),
      seq,
      bootId: this.bootId,
      ts: ev.ts ?? this.now(),
      type: ev.type,
      lane: ev.lane,
      direction: ev.direction,
      credential: ev.credential,
      decision: ev.decision,
      reason: ev.reason,
      idHash: ev.idHash,
      idMasked: ev.idMasked,
      latencyMs: ev.latencyMs === null ? null : Math.round(ev.latencyMs * 1000) / 1000,
      refId: ev.refId,
      facts: { ...ev.facts },
    };
    const columns: ChainedColumns = [
      seq,
      out.id,
      out.bootId,
      out.ts,
      out.type,
      out.lane,
      out.direction,
      out.credential,
      out.decision,
      out.reason,
      out.idHash,
      out.idMasked,
      out.latencyMs,
      out.refId,
      JSON.stringify(ev.facts ?? {}),
    ];
    const effects = ev.effects ? encodeEffects(ev.effects) : null;
    const hash = hashColumns(prevHash, columns, effects);
    this.insert().run(...columns, effects, prevHash, hash);
    this.tail = { seq, hash };
    if (ev.effects) this.effects.apply(ev.effects, seq, out.ts);
    extra?.(out);
    for (const h of this.hooks) h.fn(out);
    return out;
  }

  get(id: string): StoredEvent | null {
    const r = this.byId().get(id) as EventRow | undefined;
    return r ? rowToEvent(r) : null;
  }

  /** Ids of the events that name `id` as their reference (the passages of a decision), oldest first. */
  idsReferring(id: string, limit: number): string[] {
    return this.byRef().all(id, limit) as string[];
  }

  /** Ids of watchlist hits (the alarm, or a deny by the watchlist rule) at or after `from`, newest first. */
  watchlistHitIds(from: number, limit: number): string[] {
    return this.watchlistHits().all(from, limit) as string[];
  }

  /** Passages, manual opens and denials per lane since `from`, grouped for the console's "today" counters. */
  laneTallySince(from: number): LaneTallyRow[] {
    return this.laneTally().all(from) as LaneTallyRow[];
  }

  query(q: EventQuery): StoredEvent[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: Math.min(Math.max(q.limit, 1), 1000) };
    const add = (cond: string, key: string, v: unknown): void => {
      if (v !== undefined) {
        where.push(cond);
        args[key] = v;
      }
    };
    add('ts >= @from', 'from', q.from);
    add('ts < @to', 'to', q.to);
    add('lane = @lane', 'lane', q.lane);
    add('decision = @decision', 'decision', q.decision);
    add('credential = @credential', 'credential', q.credential);
    add('type = @type', 'type', q.type);
    add('direction = @direction', 'direction', q.direction);
    add('reason = @reason', 'reason', q.reason);
    add('id_hash = @idHash', 'idHash', q.idHash);
    add('seq < @beforeSeq', 'beforeSeq', q.beforeSeq);
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    return (this.db.handle.prepare(sql).all(args) as EventRow[]).map(rowToEvent);
  }

  /** Walks the chain from its anchor; reports the first event whose stored hash or link does not hold. */
  verifyChain(): ChainVerdict {
    let prev = this.chainAnchor().hash;
    let n = 0;
    for (const r of this.db.handle
      .prepare('SELECT * FROM events ORDER BY seq ASC')
      .iterate() as IterableIterator<EventRow>) {
      if (r.prev_hash !== prev)
        return {
          ok: false,
          events: n,
          brokenAt: {
            seq: r.seq,
            id: r.id,
            why: 'link to the previous event does not match (an event was removed or reordered)',
          },
        };
      const { prev_hash: _p, hash: _h, ...fields } = r;
      if (chainHash(prev, fields) !== r.hash)
        return {
          ok: false,
          events: n,
          brokenAt: { seq: r.seq, id: r.id, why: 'event content does not match its hash (edited)' },
        };
      prev = r.hash;
      n++;
    }
    return { ok: true, events: n };
  }
}
