// Local accounts of the people who use the console: operators, security staff, admins. Their rows are the
// auth repository's (gateway/store/auth-repo.ts, tables prefixed auth_).
import type { AuthRepository, UserRow as StoredUserRow } from '../store/auth-repo.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

export const USER_ROLES = ['operator', 'security', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const isUserRole = (s: string): s is UserRole => (USER_ROLES as readonly string[]).includes(s);

/** Staff account names: short, plain, so they are safe in logs and the audit trail. */
export const USER_NAME = /^[a-z][a-z0-9._-]{1,31}$/;

export interface User {
  name: string;
  role: UserRole;
  createdAt: number;
  lastLoginAt: number | null;
  disabled: boolean;
}

type UserRow = StoredUserRow & { role: UserRole };

const toUser = (r: UserRow): User => ({
  name: r.name,
  role: r.role,
  createdAt: r.created_at,
  lastLoginAt: r.last_login_at,
  disabled: r.disabled === 1,
});

export type AddUserResult = { ok: true; user: User } | { ok: false; error: string };
export type LoginCheck = { ok: true; user: User } | { ok: false; why: 'unknown-user' | 'disabled' | 'bad-password' };

export class UserStore {
  constructor(
    private readonly repo: AuthRepository,
    private readonly now: () => number = Date.now,
  ) {}

  async add(name: string, role: string, password: string): Promise<AddUserResult> {
    if (!USER_NAME.test(name))
      return { ok: false, error: 'name: 2-32 characters, lower-case letters, digits, . _ - (starting with a letter)' };
    if (!isUserRole(role)) return { ok: false, error: `role: one of ${USER_ROLES.join(', ')}` };
    const problem = passwordProblem(password);
    if (problem) return { ok: false, error: problem };
    if (this.row(name)) return { ok: false, error: `user ${name} already exists` };
    const hash = await hashPassword(password);
    this.repo.addUser(name, role, hash, this.now());
    return { ok: true, user: toUser(this.row(name)!) };
  }

  async setPassword(name: string, password: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const problem = passwordProblem(password);
    if (problem) return { ok: false, error: problem };
    if (!this.row(name)) return { ok: false, error: `no user ${name}` };
    const hash = await hashPassword(password);
    // A new password ends every session of the old one.
    this.repo.setPasswordHash(name, hash);
    return { ok: true };
  }

  setDisabled(name: string, disabled: boolean): boolean {
    return this.repo.setDisabled(name, disabled);
  }

  get(name: string): User | null {
    const r = this.row(name);
    return r ? toUser(r) : null;
  }

  list(): User[] {
    return (this.repo.users() as UserRow[]).map(toUser);
  }

  /** Checks a login; on success records the login time. Unknown users cost a hash too, so timing does not tell names apart. */
  async checkLogin(name: string, password: string): Promise<LoginCheck> {
    const r = USER_NAME.test(name) ? this.row(name) : undefined;
    const ok = await verifyPassword(password, r?.password_hash ?? DUMMY_HASH);
    if (!r) return { ok: false, why: 'unknown-user' };
    if (!ok) return { ok: false, why: 'bad-password' };
    if (r.disabled) return { ok: false, why: 'disabled' };
    this.repo.recordLogin(name, this.now());
    return { ok: true, user: toUser({ ...r, last_login_at: this.now() }) };
  }

  private row(name: string): UserRow | undefined {
    return this.repo.user(name) as UserRow | undefined;
  }
}

// A well-formed hash of a random password nobody knows, at the default cost, for unknown user names.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
