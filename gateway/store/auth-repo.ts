// The console's accounts and sessions (tables prefixed auth_): rows only; password hashing, roles and
// session lifetimes are gateway/auth's. A session is stored only as the SHA-256 of its token.
import type { PreparedStatement, StoreDatabase } from './database.js';
import type { MigrationStep } from './migrations.js';

export const AUTH_STEPS: readonly MigrationStep[] = [
  // 1: once created by the auth module on start; IF NOT EXISTS adopts the tables of files made that way
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS auth_users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('operator', 'security', 'admin')),
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_login_at INTEGER,
        disabled INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS auth_sessions (
        id_hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES auth_users(name) ON DELETE CASCADE,
        role TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS auth_sessions_expiry ON auth_sessions (expires_at);
    `);
  },
];

export interface UserRow {
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
  last_login_at: number | null;
  disabled: number;
}

export interface SessionRow {
  id_hash: string;
  user_name: string;
  role: string;
  csrf: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export class AuthRepository {
  private readonly s: Record<
    | 'insertUser'
    | 'setHash'
    | 'setDisabled'
    | 'endSessionsOf'
    | 'allUsers'
    | 'user'
    | 'setLastLogin'
    | 'insertSession'
    | 'session'
    | 'deleteSession'
    | 'touchSession'
    | 'purgeSessions',
    PreparedStatement
  >;

  constructor(private readonly db: StoreDatabase) {
    this.s = {
      insertUser: db.statement('INSERT INTO auth_users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)'),
      setHash: db.statement('UPDATE auth_users SET password_hash = ? WHERE name = ?'),
      setDisabled: db.statement('UPDATE auth_users SET disabled = ? WHERE name = ?'),
      endSessionsOf: db.statement('DELETE FROM auth_sessions WHERE user_name = ?'),
      allUsers: db.statement('SELECT * FROM auth_users ORDER BY name'),
      user: db.statement('SELECT * FROM auth_users WHERE name = ?'),
      setLastLogin: db.statement('UPDATE auth_users SET last_login_at = ? WHERE name = ?'),
      insertSession: db.statement(
        'INSERT INTO auth_sessions (id_hash, user_name, role, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      session: db.statement('SELECT * FROM auth_sessions WHERE id_hash = ?'),
      deleteSession: db.statement('DELETE FROM auth_sessions WHERE id_hash = ?'),
      touchSession: db.statement('UPDATE auth_sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?'),
      purgeSessions: db.statement('DELETE FROM auth_sessions WHERE expires_at <= ? OR last_seen_at <= ?'),
    };
  }

  addUser(name: string, role: string, passwordHash: string, createdAt: number): void {
    this.s.insertUser().run(name, role, passwordHash, createdAt);
  }

  /** A new password ends every session of the old one, in one transaction. */
  setPasswordHash(name: string, passwordHash: string): void {
    this.db.handle.transaction(() => {
      this.s.setHash().run(passwordHash, name);
      this.s.endSessionsOf().run(name);
    })();
  }

  /** Disabling ends the user's sessions too; returns whether such a user exists. */
  setDisabled(name: string, disabled: boolean): boolean {
    const changed = this.db.handle.transaction(() => {
      const n = this.s.setDisabled().run(disabled ? 1 : 0, name).changes;
      if (disabled) this.s.endSessionsOf().run(name);
      return n;
    })();
    return changed > 0;
  }

  users(): UserRow[] {
    return this.s.allUsers().all() as UserRow[];
  }

  user(name: string): UserRow | undefined {
    return this.s.user().get(name) as UserRow | undefined;
  }

  recordLogin(name: string, at: number): void {
    this.s.setLastLogin().run(at, name);
  }

  addSession(r: SessionRow): void {
    this.s.insertSession().run(r.id_hash, r.user_name, r.role, r.csrf, r.created_at, r.last_seen_at, r.expires_at);
  }

  session(idHash: string): SessionRow | undefined {
    return this.s.session().get(idHash) as SessionRow | undefined;
  }

  deleteSession(idHash: string): void {
    this.s.deleteSession().run(idHash);
  }

  /** Moves last_seen_at to `now` unless it was written after `unlessSeenAfter`. */
  touchSession(idHash: string, now: number, unlessSeenAfter: number): void {
    this.s.touchSession().run(now, idHash, unlessSeenAfter);
  }

  /** Removes sessions past their absolute end or idle since `idleBefore`; returns how many. */
  purgeSessions(now: number, idleBefore: number): number {
    return this.s.purgeSessions().run(now, idleBefore).changes;
  }
}
