// One ICAO 9303 read of a CCCD chip over a CardChannel: EF.CardAccess, PACE (or BAC), the LDS files, then
// Chip Authentication or else Active Authentication. Returns the raw files and the outcome as a value;
// passive authentication of the files is the caller's (the gateway's ICAO credential verifier).
//
// Order as in gmrtd's ReadDocument, except that DG14 is read and CA run before the other files, so the
// personal data travels under keys that only the genuine chip can derive.
import { randomBytes } from 'node:crypto';
import type { Result } from '../../../contracts/result.js';
import type { CardChannel } from '../card-channel.js';
import { runActiveAuthentication } from './active-authentication.js';
import { SW } from './apdu.js';
import { runBac } from './bac.js';
import { CardLink, describeSw } from './card-link.js';
import { planChipAuthentication, runChipAuthentication } from './chip-authentication.js';
import { CARD_ACCESS_SFI, FID, type FileReadOptions, readFile, readSelectedFile, selectFile } from './file-reader.js';
import type { AccessKey, MrzKey } from './key-derivation.js';
import { abort, ChipSessionAbort, type ChipSessionReason } from './outcome.js';
import { choosePace, runPace } from './pace.js';
import { parseDg15, parseSecurityInfos, type SecurityInfos } from './security-infos.js';

/** eMRTD LDS1 application (ICAO 9303-10 §3.1). */
export const EMRTD_AID = Uint8Array.from([0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]);

/**
 * EF.CardAccess as Vietnamese apps hard-code it, because SELECT MF answers 6D00 on CCCD chips
 * (chip-reading.md §1): id-TA v1, id-CA-ECDH-AES-CBC-CMAC-128 v1, id-PACE-ECDH-GM-AES-CBC-CMAC-128 v2 with
 * parameter id 13 (brainpoolP256r1).
 */
export const CCCD_CARD_ACCESS = Uint8Array.from(
  Buffer.from(
    '3134300d060804007f0007020202020101300f060a04007f000702020302020201013012060a04007f0007020204020202010202010d',
    'hex',
  ),
);

export type AuthenticationOutcome = 'passed' | 'failed' | 'not-supported' | 'skipped';

export interface SessionMetrics {
  apdus: number;
  bytesSent: number;
  bytesReceived: number;
  /** Wall milliseconds per step; a step not reached is absent. */
  stepMs: Partial<
    Record<'cardAccess' | 'access' | 'chipAuthentication' | 'readFiles' | 'activeAuthentication', number>
  >;
}

export interface ChipReadout {
  access: 'pace' | 'bac';
  /** `skipped` is not used; CA is run whenever DG14 offers it. */
  chipAuthentication: Exclude<AuthenticationOutcome, 'skipped'>;
  /** `skipped` when Chip Authentication already passed (9303-11: CA supersedes AA). */
  activeAuthentication: AuthenticationOutcome;
  /** Raw EF.CardAccess, or the built-in CCCD profile when the card would not show it. */
  cardAccess?: Uint8Array;
  cardAccessSource: 'card' | 'cccd-profile' | 'none';
  com?: Uint8Array;
  sod: Uint8Array;
  /** Data group number → raw file (tag and length included). */
  dataGroups: Map<number, Uint8Array>;
  metrics: SessionMetrics;
}

/** A failed session still reports how far it got and how long each step took. */
export type ChipSessionOutcome = Result<ChipReadout, ChipSessionReason, { detail: string; metrics: SessionMetrics }>;

export interface ChipSessionOptions {
  /** CAN (6 digits, the last six of the CCCD number) for PACE, and/or the MRZ key for PACE-MRZ or BAC. */
  can?: string;
  mrz?: MrzKey;
  /** Data groups to read besides DG14 (always read when the card has it, for CA). Default 1, 2, 13, 15. */
  dataGroups?: readonly number[];
  /** Injectable random source (replaying published transcripts); node:crypto randomBytes by default. */
  random?: (length: number) => Uint8Array;
  fileRead?: FileReadOptions;
}

const DEFAULT_DATA_GROUPS = [1, 2, 13, 15];
const REQUIRED_DATA_GROUPS = [1];

interface CardAccessResult {
  infos: SecurityInfos | null;
  bytes?: Uint8Array;
  source: ChipReadout['cardAccessSource'];
}

async function readCardAccess(link: CardLink): Promise<CardAccessResult> {
  const selectMf = await link.send({ cla: 0x00, ins: 0xa4, p1: 0x00, p2: 0x0c, data: Uint8Array.of(0x3f, 0x00) });
  let bytes: Uint8Array | null = null;
  if (selectMf.sw === SW.ok) {
    bytes = await readFile(link, FID.cardAccess);
    if (!bytes) return { infos: null, source: 'none' }; // no EF.CardAccess: a BAC-only chip
  } else {
    // CCCD chips answer SELECT MF with 6D00: try the short FID, then SELECT by FID, then the known profile.
    bytes = await readBySfi(link);
    if (!bytes && (await selectFile(link, FID.cardAccess))) bytes = await readSelectedFile(link);
    if (!bytes) return { infos: parseSecurityInfos(CCCD_CARD_ACCESS), bytes: CCCD_CARD_ACCESS, source: 'cccd-profile' };
  }
  const infos = parseSecurityInfos(bytes);
  if (!infos) return abort('chip.malformed', 'EF.CardAccess does not parse as SecurityInfos');
  return { infos, bytes, source: 'card' };
}

async function readBySfi(link: CardLink): Promise<Uint8Array | null> {
  try {
    return await readSelectedFile(link, { sfi: CARD_ACCESS_SFI });
  } catch (error) {
    // A refusal of the short-FID read is an answer, not a failure; losing the card still is.
    if (error instanceof ChipSessionAbort && error.reason === 'chip.malformed') return null;
    throw error;
  }
}

async function selectApplication(link: CardLink): Promise<void> {
  const response = await link.send({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: EMRTD_AID });
  if (response.sw !== SW.ok) return abort('chip.malformed', `SELECT eMRTD application: ${describeSw(response.sw)}`);
}

/** Reads a CCCD (or any ICAO 9303 eMRTD) chip. Never throws; every failure is a closed-set reason. */
export async function readChip(channel: CardChannel, options: ChipSessionOptions): Promise<ChipSessionOutcome> {
  const link = new CardLink(channel);
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const metrics: SessionMetrics = { apdus: 0, bytesSent: 0, bytesReceived: 0, stepMs: {} };
  const snapshot = () =>
    Object.assign(metrics, { apdus: link.apdus, bytesSent: link.bytesSent, bytesReceived: link.bytesReceived });
  const timed = async <T>(step: keyof SessionMetrics['stepMs'], work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      metrics.stepMs[step] = performance.now() - started;
    }
  };
  try {
    const value = await runSession(link, options, random, timed);
    return { ok: true, value: { ...value, metrics: snapshot() } };
  } catch (error) {
    snapshot();
    if (error instanceof ChipSessionAbort) return { ok: false, reason: error.reason, detail: error.detail, metrics };
    // Anything else is a bug or a curve library refusing a value from the card: still a value, never a throw.
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: 'chip.malformed', detail: `unexpected: ${detail}`, metrics };
  }
}

type Timer = <T>(step: keyof SessionMetrics['stepMs'], work: () => Promise<T>) => Promise<T>;

async function runSession(
  link: CardLink,
  options: ChipSessionOptions,
  random: (n: number) => Uint8Array,
  timed: Timer,
): Promise<Omit<ChipReadout, 'metrics'>> {
  const cardAccess = await timed('cardAccess', () => readCardAccess(link));

  const access = await timed('access', async (): Promise<'pace' | 'bac'> => {
    const pace = cardAccess.infos ? choosePace(cardAccess.infos.pace) : undefined;
    const paceKey: AccessKey | undefined = options.can
      ? { kind: 'can', can: options.can }
      : options.mrz
        ? { kind: 'mrz', ...options.mrz }
        : undefined;
    if (pace && paceKey && (await runPace(link, pace, paceKey, random))) {
      await selectApplication(link);
      return 'pace';
    }
    if (!options.mrz) return abort('chip.access-denied', 'the chip needs BAC and no MRZ key was given');
    await selectApplication(link);
    await runBac(link, options.mrz, random);
    return 'bac';
  });

  const files = new Map<number, Uint8Array>();
  let com: Uint8Array | undefined;
  const chipAuthentication = await timed('chipAuthentication', async (): Promise<ChipReadout['chipAuthentication']> => {
    com = (await readFile(link, FID.com, options.fileRead)) ?? undefined;
    const dg14 = await readFile(link, FID.dataGroup(14), options.fileRead);
    const advertised =
      (cardAccess.source === 'card' && (cardAccess.infos?.chipAuthentication.length ?? 0) > 0) || false;
    if (!dg14) {
      if (advertised)
        return abort('chip.clone-suspected', 'EF.CardAccess offers chip authentication but DG14 is missing');
      return 'not-supported';
    }
    files.set(14, dg14);
    const infos = parseSecurityInfos(dg14);
    if (!infos) return abort('chip.malformed', 'DG14 does not parse as SecurityInfos');
    const plan = planChipAuthentication(infos);
    if (!plan) {
      if (infos.unsupportedChipAuthenticationKeys > 0)
        return abort('chip.malformed', 'DG14 holds a chip authentication key on a curve this reader does not support');
      if (infos.chipAuthentication.length > 0 || advertised)
        return abort('chip.clone-suspected', 'chip authentication is offered but DG14 has no usable key for it');
      return 'not-supported';
    }
    await runChipAuthentication(link, plan, random);
    return 'passed';
  });

  const readout = await timed('readFiles', async () => {
    const sod = await readFile(link, FID.sod, options.fileRead);
    if (!sod) return abort('chip.malformed', 'the chip has no EF.SOD');
    for (const n of options.dataGroups ?? DEFAULT_DATA_GROUPS) {
      if (n === 14 || files.has(n)) continue;
      if (!Number.isInteger(n) || n < 1 || n > 16) continue;
      const bytes = await readFile(link, FID.dataGroup(n), options.fileRead);
      if (bytes) files.set(n, bytes);
      else if (REQUIRED_DATA_GROUPS.includes(n)) return abort('chip.malformed', `the chip has no DG${n}`);
    }
    return { sod };
  });

  let activeAuthentication: AuthenticationOutcome = 'not-supported';
  if (chipAuthentication === 'passed') activeAuthentication = 'skipped';
  else {
    const dg15 = files.get(15) ?? (await readFile(link, FID.dataGroup(15), options.fileRead));
    if (dg15) {
      files.set(15, dg15);
      const key = parseDg15(dg15);
      if (!key) return abort('chip.malformed', 'DG15 does not hold a public key this reader understands');
      const dg14 = files.get(14);
      const signatureOid = dg14 ? parseSecurityInfos(dg14)?.activeAuthentication?.signatureOid : undefined;
      const proved = await timed('activeAuthentication', () =>
        runActiveAuthentication(link, key, signatureOid, random),
      );
      if (!proved)
        return abort('chip.clone-suspected', 'the active authentication signature does not verify with the DG15 key');
      activeAuthentication = 'passed';
    }
  }

  const dataGroups = new Map([...files].sort(([a], [b]) => a - b));
  return {
    access,
    chipAuthentication,
    activeAuthentication,
    ...(cardAccess.bytes ? { cardAccess: cardAccess.bytes } : {}),
    cardAccessSource: cardAccess.source,
    ...(com ? { com } : {}),
    sod: readout.sod,
    dataGroups,
  };
}
