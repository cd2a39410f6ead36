// Every owner of tables in the gateway database and its migration steps, in the order the runner applies them
// (the event log first: event_personal refers to its events). A new feature's repository adds its line here.
import { ADMISSION_STEPS } from './admission-repo.js';
import { AUDIT_STEPS } from './audit-log.js';
import { AUTH_STEPS } from './auth-repo.js';
import { ENROLLMENT_STEPS } from './enrollment-repo.js';
import { EVENT_LOG_STEPS } from './event-log.js';
import { EVENT_LOG_FEATURE, type FeatureMigrations } from './migrations.js';
import { PERSONAL_STEPS } from './personal.js';
import { COMMAND_ID_STEPS, TELEMETRY_STEPS } from './telemetry-repo.js';

export const GATEWAY_SCHEMA: readonly FeatureMigrations[] = [
  { feature: EVENT_LOG_FEATURE, steps: EVENT_LOG_STEPS },
  { feature: 'personal', steps: PERSONAL_STEPS },
  { feature: 'admission', steps: ADMISSION_STEPS },
  { feature: 'audit', steps: AUDIT_STEPS },
  { feature: 'auth', steps: AUTH_STEPS },
  { feature: 'enrollment', steps: ENROLLMENT_STEPS },
  { feature: 'telemetry', steps: TELEMETRY_STEPS },
  { feature: 'ioc-commands', steps: COMMAND_ID_STEPS },
];
