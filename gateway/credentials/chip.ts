// The chip credential: passive authentication of what the reader module read (SOD signature, DS → CSCA
// chain, every DG hash), then the identity from DG1 (and DG13 on a CCCD, which must agree) and the photo
// from DG2 for the face match. The event gets the PA result and expiry state, never DG contents.
import type { ChipCheck } from '../lane/ports.js';
import type { ReasonCode } from '../reasons.js';
import { identityFacts } from './categories.js';
import {
  parseDg1,
  parseDg2,
  parseDg13,
  passiveAuthenticate,
  type TrustStore,
  vietnameseDateToIso,
} from './icao/index.js';
import type { Identity } from './identity.js';

export class PassiveAuthChipCheck implements ChipCheck {
  constructor(private readonly trust: () => TrustStore) {}

  async verify(sod: Buffer, dataGroups: Map<number, Buffer>, now: number): ReturnType<ChipCheck['verify']> {
    const dg1 = dataGroups.get(1);
    if (!dg1) return { ok: false, reason: 'chip.malformed', facts: { pa: 'not-run', detail: 'DG1 not read' } };
    const mrz = parseDg1(dg1, new Date(now));
    // Even a card that fails PA gets a keyed hash and masked ID in the log: security wants to know who tried.
    const identity: Identity | undefined = mrz.ok
      ? {
          idNumber: mrz.value.personalId ?? mrz.value.documentNumber,
          verified: false,
          nationality: mrz.value.nationality,
          birthDate: mrz.value.dateOfBirth ?? undefined,
          sex: mrz.value.sex === 'X' ? undefined : mrz.value.sex,
          name: `${mrz.value.surname} ${mrz.value.givenNames}`.trim(),
        }
      : undefined;
    const pa = passiveAuthenticate({ sod, dataGroups, trust: this.trust(), at: new Date(now) });
    const facts: Record<string, string | number | boolean> = {
      pa: pa.ok ? 'ok' : 'failed',
      hashAlgorithm: pa.hashAlgorithm ?? 'unknown',
    };
    if (!pa.ok) {
      facts.paFailure = pa.failure ?? 'chip.malformed';
      return { ok: false, reason: (pa.failure ?? 'chip.malformed') as ReasonCode, facts, identity };
    }
    if (!mrz.ok || !identity)
      return {
        ok: false,
        reason: 'chip.malformed',
        facts: { ...facts, detail: mrz.ok ? 'no ID' : (mrz.detail ?? 'DG1') },
      };
    const dg13bytes = dataGroups.get(13);
    if (dg13bytes) {
      const dg13 = parseDg13(dg13bytes);
      if (!dg13.ok) return { ok: false, reason: 'chip.malformed', facts: { ...facts, detail: 'DG13' }, identity };
      if (dg13.value.personalId && mrz.value.personalId && dg13.value.personalId !== mrz.value.personalId) {
        return {
          ok: false,
          reason: 'chip.id-mismatch',
          facts: { ...facts, detail: 'DG13 ID differs from DG1' },
          identity,
        };
      }
      if (dg13.value.fullName) identity.name = dg13.value.fullName;
      const dob = dg13.value.dateOfBirth && vietnameseDateToIso(dg13.value.dateOfBirth);
      if (dob) identity.birthDate = dob;
    }
    identity.verified = true;
    const today = new Date(now).toISOString().slice(0, 10);
    const documentExpired = mrz.value.dateOfExpiry !== null && mrz.value.dateOfExpiry < today;
    facts.document = documentExpired ? 'expired' : 'valid';
    let photo: Buffer | undefined;
    const dg2 = dataGroups.get(2);
    if (dg2) {
      const face = parseDg2(dg2);
      if (face.ok) photo = face.value.image;
      else facts.photo = 'unreadable';
    }
    return { ok: true, identity, photo, documentExpired, facts: { ...facts, ...identityFacts(identity, now) } };
  }
}
