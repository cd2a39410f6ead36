// One repository per feature, each with its own statements on the one database; a feature is handed its
// repository (store.repos.x), never the database.
import type { AdmissionRepository } from './admission-repo.js';
import { AuditLog } from './audit-log.js';
import { AuthRepository } from './auth-repo.js';
import type { StoreDatabase } from './database.js';
import { EnrollmentRepository } from './enrollment-repo.js';
import { PersonalVault } from './personal.js';
import { CommandIdRepository, CountWindowRepository, OutboxRepository } from './telemetry-repo.js';

export class Repositories {
  readonly admission: AdmissionRepository;
  readonly auth: AuthRepository;
  readonly enrollment: EnrollmentRepository;
  readonly outbox: OutboxRepository;
  readonly countWindows: CountWindowRepository;
  readonly commandIds: CommandIdRepository;

  constructor(
    private readonly db: StoreDatabase,
    admission: AdmissionRepository,
  ) {
    this.admission = admission;
    this.auth = new AuthRepository(db);
    this.enrollment = new EnrollmentRepository(db);
    this.outbox = new OutboxRepository(db);
    this.countWindows = new CountWindowRepository(db);
    this.commandIds = new CommandIdRepository(db);
  }

  auditLog(now: () => number = Date.now): AuditLog {
    return new AuditLog(this.db, now);
  }

  /** Personal fields a site keeps, sealed with its key (gateway/store/personal.ts). */
  personalVault(rawKey: Buffer, keyId: string, retentionMs: number): PersonalVault {
    return new PersonalVault(this.db, rawKey, keyId, retentionMs);
  }
}
