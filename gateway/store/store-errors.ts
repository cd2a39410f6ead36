// What can go wrong with the event log's file, as a small closed set: the names /healthz, the alarm and
// the metric show. A decision that cannot be committed is never answered `allow`; these say why.

export type StoreProblem = 'locked' | 'full' | 'read-only' | 'deleted' | 'corrupt' | 'io';

export const STORE_PROBLEMS: readonly StoreProblem[] = ['locked', 'full', 'read-only', 'deleted', 'corrupt', 'io'];

/** Thrown (and rejected with) while the event log cannot be written; callers test `storeUnavailable`, not the text. */
export class StoreUnavailableError extends Error {
  readonly storeUnavailable = true;
  constructor(
    readonly problem: StoreProblem,
    readonly detail: string,
  ) {
    super(`event log unavailable (${problem}): ${detail}`);
    this.name = 'StoreUnavailableError';
  }
}

export function isStoreUnavailable(err: unknown): err is StoreUnavailableError {
  return typeof err === 'object' && err !== null && (err as { storeUnavailable?: unknown }).storeUnavailable === true;
}

/**
 * Maps a SQLite error to the store problem it shows, or null when it is not about the file at all (a
 * constraint, a bug in a hook): those fail one commit, they do not make the store unavailable.
 * better-sqlite3 puts SQLite's extended result code name in `code` (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED).
 */
export function classifyStoreError(err: unknown): StoreProblem | null {
  if (isStoreUnavailable(err)) return err.problem;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') {
    // A closed connection (after a reopen went wrong) is a TypeError from better-sqlite3, not a SqliteError.
    return err instanceof Error && /database connection is not open/.test(err.message) ? 'io' : null;
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  if (code === 'SQLITE_FULL') return 'full';
  if (code === 'SQLITE_READONLY_DBMOVED') return 'deleted';
  if (code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') return 'io';
  // ENOSPC surfaces from Node's fs calls (the WAL size check) rather than from SQLite.
  if (code === 'ENOSPC') return 'full';
  return null;
}

export function errorText(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return (typeof code === 'string' ? `${code}: ${message}` : message).slice(0, 200);
}
