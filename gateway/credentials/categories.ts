// Coarse categories for anonymous counts (domestic/foreign, age band, sex): derived from a credential,
// never the ID itself. They travel on passage events into per-minute counts.
import { ageBand, type Identity } from './identity.js';

export function identityFacts(identity: Identity, now: number): Record<string, string> {
  const facts: Record<string, string> = {};
  if (identity.nationality) facts.nationality = identity.nationality === 'VNM' ? 'VNM' : 'other';
  const band = ageBand(identity.birthDate, now);
  if (band) facts.ageBand = band;
  if (identity.sex) facts.sex = identity.sex;
  return facts;
}

export const cccdQrFacts = identityFacts;
