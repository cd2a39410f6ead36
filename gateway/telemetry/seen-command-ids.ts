// The command ids this process has seen, kept in memory beside the tel_cmd_seen table.
//
// The table alone was not enough (issue #11 review, finding 6): delete the database and the gate re-opens a new,
// empty log, so a signed free-passage ON captured earlier (valid up to 24 h) ran again. The memory lives as long
// as the process, whatever happens to the file, and is written back into the table after a re-open.

/**
 * How many ids are kept at most. The busiest legal IOC (every verb at its highest configurable rate) could
 * outrun it over 24 h, but the default budgets (30 commands a minute in all) stay under it for a day; when it
 * is full the entries nearest their expiry go first, and those are still in the table unless the file went too.
 */
export const MAX_REMEMBERED_COMMAND_IDS = 50_000;

export class SeenCommandIds {
  /** id → expiresAt (wall-clock ms); Map order is insertion order, which approximates expiry order. */
  private readonly ids = new Map<string, number>();

  constructor(private readonly capacity = MAX_REMEMBERED_COMMAND_IDS) {}

  get size(): number {
    return this.ids.size;
  }

  has(id: string, now: number): boolean {
    const expiresAt = this.ids.get(id);
    return expiresAt !== undefined && expiresAt >= now;
  }

  add(id: string, expiresAt: number, now: number): void {
    if (this.ids.size >= this.capacity && !this.ids.has(id)) this.makeRoom(now);
    this.ids.set(id, expiresAt);
  }

  /** The ids not yet expired, to seed a table that was lost with its file. */
  current(now: number): Array<[id: string, expiresAt: number]> {
    return [...this.ids].filter(([, expiresAt]) => expiresAt >= now);
  }

  private makeRoom(now: number): void {
    for (const [id, expiresAt] of this.ids) if (expiresAt < now) this.ids.delete(id);
    if (this.ids.size < this.capacity) return;
    let soonest: string | undefined;
    let soonestAt = Number.POSITIVE_INFINITY;
    for (const [id, expiresAt] of this.ids)
      if (expiresAt < soonestAt) {
        soonest = id;
        soonestAt = expiresAt;
      }
    if (soonest !== undefined) this.ids.delete(soonest);
  }
}
