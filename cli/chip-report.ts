// What `gate06 chip read` prints and how it exits, as pure functions of the session outcome and the passive
// authentication result, so the shaping (masking above all) is tested without a reader.
//
// The verdict follows what a gate may conclude from a chip:
//  - the data is genuine only when passive authentication chains the SOD to a trusted CSCA and every data
//    group read matches its hash;
//  - the chip is the one the data was issued on only when it proves a private key named in that data:
//    Chip Authentication (DG14) or Active Authentication (DG15). A chip with neither can be copied file for
//    file, so its data may be genuine while the card is a clone: "clone not excluded", never "genuine".

import type { AuthenticationOutcome, ChipSessionOutcome } from '../drivers/chip-pcsc/icao/index.js';
import { parseDg1 } from '../gateway/credentials/icao/dg1.js';
import { parseDg13, vietnameseDateToIso } from '../gateway/credentials/icao/dg13.js';
import type { PassiveAuthResult } from '../gateway/credentials/icao/passive-auth.js';
import { isTwelveDigits, maskId } from '../gateway/credentials/identity.js';

/** Exit codes of `gate06 chip read`, documented in its --help and in docs/chip.md. */
export const CHIP_READ_EXIT = {
  genuine: 0,
  readFailed: 1,
  usage: 2,
  cloneNotExcluded: 3,
  accessDenied: 4,
  cloneSuspected: 5,
  notAuthentic: 6,
  noTrustStore: 7,
} as const;

export type ChipReadVerdict =
  | 'genuine'
  | 'clone-not-excluded'
  | 'access-denied'
  | 'clone-suspected'
  | 'data-not-authentic'
  | 'no-trust-store'
  | 'read-failed';

const EXIT_OF: Record<ChipReadVerdict, number> = {
  genuine: CHIP_READ_EXIT.genuine,
  'clone-not-excluded': CHIP_READ_EXIT.cloneNotExcluded,
  'access-denied': CHIP_READ_EXIT.accessDenied,
  'clone-suspected': CHIP_READ_EXIT.cloneSuspected,
  'data-not-authentic': CHIP_READ_EXIT.notAuthentic,
  'no-trust-store': CHIP_READ_EXIT.noTrustStore,
  'read-failed': CHIP_READ_EXIT.readFailed,
};

export interface HolderView {
  /** First 3 and last 3 digits; the whole number only with --reveal. */
  id: string | null;
  idSource: 'dg13' | 'dg1' | null;
  /** Only with --reveal. */
  name?: string;
  /** YYYY-MM-DD, only with --reveal. */
  dateOfBirth?: string;
}

/**
 * The holder as the chip states it: the 12-digit ID from DG13 (field 1), else from DG1 (a CCCD's TD1 MRZ
 * carries it whole). Masked unless `reveal`; name and birth date only with `reveal`.
 */
export function holderFromDataGroups(dataGroups: ReadonlyMap<number, Uint8Array>, reveal: boolean): HolderView {
  const dg13Bytes = dataGroups.get(13);
  const dg1Bytes = dataGroups.get(1);
  const dg13 = dg13Bytes ? parseDg13(Buffer.from(dg13Bytes)) : undefined;
  const dg1 = dg1Bytes ? parseDg1(Buffer.from(dg1Bytes)) : undefined;
  const fromDg13 = dg13?.ok && dg13.value.personalId && isTwelveDigits(dg13.value.personalId) ? dg13.value : undefined;
  const fromDg1 = dg1?.ok && dg1.value.personalId && isTwelveDigits(dg1.value.personalId) ? dg1.value : undefined;
  const idNumber = fromDg13?.personalId ?? fromDg1?.personalId;
  const holder: HolderView = {
    id: idNumber ? (reveal ? idNumber : maskId(idNumber)) : null,
    idSource: fromDg13 ? 'dg13' : fromDg1 ? 'dg1' : null,
  };
  if (!reveal) return holder;
  const dg13Value = dg13?.ok ? dg13.value : undefined;
  const dg1Value = dg1?.ok ? dg1.value : undefined;
  const name = dg13Value?.fullName ?? (dg1Value ? `${dg1Value.surname} ${dg1Value.givenNames}`.trim() : undefined);
  const dateOfBirth =
    (dg13Value?.dateOfBirth ? vietnameseDateToIso(dg13Value.dateOfBirth) : null) ?? dg1Value?.dateOfBirth ?? undefined;
  if (name) holder.name = name;
  if (dateOfBirth) holder.dateOfBirth = dateOfBirth;
  return holder;
}

export type PassiveAuthView =
  | { ok: true; reason: 'ok'; signer: string | null; csca: string | null; dataGroups: Record<string, string> }
  | {
      ok: false;
      reason: NonNullable<PassiveAuthResult['failure']> | 'no-trust-store' | 'not-run';
      detail?: string;
      signer?: string | null;
      csca?: string | null;
      dataGroups?: Record<string, string>;
    };

/** The PA result as printed: which step failed and why, never the data itself. */
export function passiveAuthView(result: PassiveAuthResult | 'no-trust-store'): PassiveAuthView {
  if (result === 'no-trust-store') return { ok: false, reason: 'no-trust-store' };
  const common = { signer: result.signer, csca: result.csca, dataGroups: result.dataGroups };
  if (result.ok) return { ok: true, reason: 'ok', ...common };
  const failedStep = Object.entries(result.steps).find(([, check]) => !check.ok);
  return {
    ok: false,
    reason: result.failure ?? 'chip.malformed',
    ...(failedStep ? { detail: `${failedStep[0]}: ${failedStep[1].detail}` } : {}),
    ...common,
  };
}

export interface ChipReadReport {
  reader: string | null;
  verdict: ChipReadVerdict;
  /** The closed-set reason behind the verdict: `ok`, a `chip.*` session reason, or a PA failure. */
  reason: string;
  detail?: string;
  access: 'pace' | 'bac' | null;
  chipAuthentication: AuthenticationOutcome | null;
  activeAuthentication: AuthenticationOutcome | null;
  passiveAuthentication: PassiveAuthView;
  /** Data groups read: number and size in bytes, never the contents. */
  dataGroups: { number: number; bytes: number }[];
  holder: HolderView | null;
  apdus: number;
  bytes: { sent: number; received: number };
  /** Milliseconds per step (wall time), rounded to 0.1 ms. */
  ms: Record<string, number>;
}

export interface ShapeInput {
  readerName: string | null;
  outcome: ChipSessionOutcome;
  /** Absent when the session failed (PA was not run); 'no-trust-store' without --trust. */
  passive?: PassiveAuthResult | 'no-trust-store';
  /** Extra timings measured outside the session (waiting for the card, passive authentication). */
  ms?: Record<string, number>;
  reveal: boolean;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Steps in the order they run, so the printed timings read as a timeline. */
const STEP_ORDER = [
  'waitForCard',
  'cardAccess',
  'access',
  'chipAuthentication',
  'readFiles',
  'activeAuthentication',
  'passiveAuthentication',
];

function verdictOf(
  outcome: ChipSessionOutcome,
  passive: ShapeInput['passive'],
): { verdict: ChipReadVerdict; reason: string } {
  if (!outcome.ok) {
    if (outcome.reason === 'chip.access-denied') return { verdict: 'access-denied', reason: outcome.reason };
    if (outcome.reason === 'chip.clone-suspected') return { verdict: 'clone-suspected', reason: outcome.reason };
    return { verdict: 'read-failed', reason: outcome.reason };
  }
  if (passive === undefined || passive === 'no-trust-store')
    return { verdict: 'no-trust-store', reason: 'no-trust-store' };
  if (!passive.ok) return { verdict: 'data-not-authentic', reason: passive.failure ?? 'chip.malformed' };
  const { chipAuthentication, activeAuthentication } = outcome.value;
  // The session aborts with clone-suspected when CA or AA fails, so here each is passed or not supported.
  if (chipAuthentication === 'passed' || activeAuthentication === 'passed') return { verdict: 'genuine', reason: 'ok' };
  return { verdict: 'clone-not-excluded', reason: 'chip.clone-not-excluded' };
}

/** The one JSON object `gate06 chip read` prints, and its exit code. */
export function shapeChipReport(input: ShapeInput): { report: ChipReadReport; exitCode: number } {
  const { outcome } = input;
  const { verdict, reason } = verdictOf(outcome, input.passive);
  const metrics = outcome.ok ? outcome.value.metrics : outcome.metrics;
  const measured: Record<string, number | undefined> = { ...input.ms, ...metrics.stepMs };
  const ms: Record<string, number> = {};
  for (const step of STEP_ORDER) {
    const value = measured[step];
    if (typeof value === 'number') ms[step] = round(value);
  }
  const report: ChipReadReport = {
    reader: input.readerName,
    verdict,
    reason,
    ...(outcome.ok ? {} : { detail: outcome.detail }),
    access: outcome.ok ? outcome.value.access : null,
    chipAuthentication: outcome.ok ? outcome.value.chipAuthentication : null,
    activeAuthentication: outcome.ok ? outcome.value.activeAuthentication : null,
    passiveAuthentication:
      outcome.ok && input.passive !== undefined ? passiveAuthView(input.passive) : { ok: false, reason: 'not-run' },
    dataGroups: outcome.ok
      ? [...outcome.value.dataGroups].map(([number, bytes]) => ({ number, bytes: bytes.length }))
      : [],
    holder: outcome.ok ? holderFromDataGroups(outcome.value.dataGroups, input.reveal) : null,
    apdus: metrics.apdus,
    bytes: { sent: metrics.bytesSent, received: metrics.bytesReceived },
    ms,
  };
  return { report, exitCode: EXIT_OF[verdict] };
}

/** The report when no session ran: no reader matched, or no card came within the timeout. */
export function noCardReport(
  readerName: string | null,
  detail: string,
  ms: Record<string, number>,
): { report: ChipReadReport; exitCode: number } {
  const report: ChipReadReport = {
    reader: readerName,
    verdict: 'read-failed',
    reason: 'chip.read-failed',
    detail,
    access: null,
    chipAuthentication: null,
    activeAuthentication: null,
    passiveAuthentication: { ok: false, reason: 'not-run' },
    dataGroups: [],
    holder: null,
    apdus: 0,
    bytes: { sent: 0, received: 0 },
    ms: Object.fromEntries(Object.entries(ms).map(([step, value]) => [step, round(value)])),
  };
  return { report, exitCode: CHIP_READ_EXIT.readFailed };
}

/** The one stderr line for a non-zero exit: what went wrong, in words, without personal data. */
export function summaryLine(report: ChipReadReport): string {
  const words: Record<ChipReadVerdict, string> = {
    genuine: 'genuine chip',
    'clone-not-excluded':
      'the data is genuine but the chip has neither chip nor active authentication, so a clone is not excluded',
    'access-denied': 'access denied: the CAN or MRZ key does not open this chip',
    'clone-suspected': 'clone suspected: the chip could not prove the key its data names',
    'data-not-authentic': 'passive authentication failed: the data cannot be shown genuine',
    'no-trust-store': 'no --trust given: the data cannot be shown genuine without the CSCA certificates',
    'read-failed': 'the chip could not be read',
  };
  const detail = report.detail ?? (report.passiveAuthentication.ok ? undefined : report.passiveAuthentication.detail);
  return `gate06 chip: ${words[report.verdict]} (${report.reason}${detail ? `: ${detail}` : ''})`;
}
