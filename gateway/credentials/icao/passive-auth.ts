// Passive authentication (ICAO 9303-11 5.1): the SOD is signed by a document signer (DS) whose
// certificate chains to a trusted CSCA, and every data group read hashes to its value in the SOD.
// A pure function of (SOD, data groups, trust store, time); every step runs and reports, so an
// operator sees e.g. "signature fine, CSCA unknown" rather than only the first failure.
//
// Validity rule (documents outlive their DS certificates, and a gate's clock may be off):
//  - the SOD was signed inside the DS validity window: signing time (the signing-time attribute,
//    else the DS notBefore) within [DS notBefore, DS notAfter], and not after `at`;
//  - the CSCA was valid when it issued the DS: DS notBefore within the CSCA's validity;
//  - DS/CSCA expiry at `at` is reported but does not fail: an expired document is refused by the
//    policy from the DG1 expiry date (chip.expired), not here.
import { createHash } from 'node:crypto';
import type { ReasonCode } from '../../reasons.js';
import { type Certificate, isValidAt } from './certificate.js';
import { findSignerCertificate, signingTime } from './cms.js';
import { type HashName, OID } from './oids.js';
import {
  type Check,
  checkContentTypeAttribute,
  checkIssuedBy,
  checkMessageDigest,
  checkSignerSignature,
} from './signer-check.js';
import { parseSod, type SecurityObject } from './sod.js';
import type { TrustStore } from './trust-store.js';

export type DataGroupStatus = 'match' | 'mismatch' | 'not-in-sod' | 'not-read';
export type PassiveAuthFailure = Extract<
  ReasonCode,
  'chip.malformed' | 'chip.bad-signature' | 'chip.untrusted-signer' | 'chip.dg-mismatch'
>;

export interface PassiveAuthSteps {
  parse: Check;
  contentType: Check;
  messageDigest: Check;
  signature: Check;
  chain: Check;
  validity: Check;
  dataGroups: Check;
}

export interface PassiveAuthResult {
  ok: boolean;
  steps: PassiveAuthSteps;
  /** Document signer subject DN, or null when no DS certificate was found. */
  signer: string | null;
  csca: string | null;
  hashAlgorithm: HashName | null;
  dataGroups: Record<string, DataGroupStatus>;
  failure?: PassiveAuthFailure;
}

export interface PassiveAuthInput {
  /** EF.SOD bytes, or an already parsed SOD. */
  sod: Buffer | SecurityObject;
  /** Data group number → the whole DG file as read (tag and length included). */
  dataGroups: ReadonlyMap<number, Buffer>;
  trust: TrustStore;
  at: Date;
}

const notRun = (why: string): Check => ({ ok: false, detail: `not checked: ${why}` });
const iso = (d: Date) => d.toISOString().slice(0, 10);

function findDocumentSigner(sod: SecurityObject, trust: TrustStore): Certificate | undefined {
  // The DS is normally inside the SOD; some issuers leave it out and publish it (PKD) instead.
  return (
    findSignerCertificate(sod.signer.sid, sod.certificates) ?? findSignerCertificate(sod.signer.sid, trust.certificates)
  );
}

function findIssuer(ds: Certificate, trust: TrustStore): { issuer?: Certificate; check: Check } {
  const cached = trust.verifiedIssuers.get(ds.fingerprint);
  if (cached)
    return { issuer: cached, check: { ok: true, detail: `DS issued by ${cached.subject.text} (verified earlier)` } };
  // Key identifier first (it tells CSCA key generations apart), then every CSCA with the issuer DN.
  const candidates = new Set<Certificate>();
  if (ds.authorityKeyId) for (const c of trust.byKeyId.get(ds.authorityKeyId) ?? []) candidates.add(c);
  for (const c of trust.bySubject.get(ds.issuer.key) ?? []) candidates.add(c);
  // A certificate whose keyUsage forbids certificate signing (e.g. a DS left in the trust folder) is no CSCA.
  for (const c of candidates) if (c.keyUsage && !c.keyUsage.keyCertSign) candidates.delete(c);
  if (candidates.size === 0) {
    return { check: { ok: false, detail: `no CSCA for issuer "${ds.issuer.text}" in the trust store` } };
  }
  const tried: string[] = [];
  for (const candidate of candidates) {
    const verified = checkIssuedBy(ds, candidate);
    if (verified.ok) {
      trust.verifiedIssuers.set(ds.fingerprint, candidate);
      return {
        issuer: candidate,
        check: { ok: true, detail: `DS issued by ${candidate.subject.text} (${verified.detail})` },
      };
    }
    tried.push(verified.detail);
  }
  return {
    check: {
      ok: false,
      detail: `DS signature verifies with none of ${candidates.size} candidate CSCA(s): ${tried.join('; ')}`,
    },
  };
}

function checkValidity(ds: Certificate, csca: Certificate | undefined, signedAt: Date | undefined, at: Date): Check {
  const when = signedAt ?? ds.notBefore;
  const problems: string[] = [];
  if (!isValidAt(ds, when))
    problems.push(`signed ${iso(when)} outside DS validity ${iso(ds.notBefore)}..${iso(ds.notAfter)}`);
  if (when.getTime() > at.getTime() || ds.notBefore.getTime() > at.getTime())
    problems.push(`signed or DS valid only after ${iso(at)}`);
  if (csca && !isValidAt(csca, ds.notBefore)) {
    problems.push(`DS issued ${iso(ds.notBefore)} outside CSCA validity ${iso(csca.notBefore)}..${iso(csca.notAfter)}`);
  }
  const status = [
    `DS ${isValidAt(ds, at) ? 'valid' : 'not valid'} at ${iso(at)}`,
    csca ? `CSCA ${isValidAt(csca, at) ? 'valid' : 'not valid'} at ${iso(at)}` : 'CSCA unknown',
  ].join(', ');
  return problems.length === 0
    ? { ok: true, detail: status }
    : { ok: false, detail: `${problems.join('; ')} (${status})` };
}

function compareDataGroups(
  sod: SecurityObject,
  read: ReadonlyMap<number, Buffer>,
): { statuses: Record<string, DataGroupStatus>; check: Check } {
  const statuses: Record<string, DataGroupStatus> = {};
  const numbers = [...new Set([...sod.dataGroupHashes.keys(), ...read.keys()])].sort((a, b) => a - b);
  for (const dg of numbers) {
    const expected = sod.dataGroupHashes.get(dg);
    const bytes = read.get(dg);
    if (!bytes) statuses[dg] = 'not-read';
    else if (!expected) statuses[dg] = 'not-in-sod';
    else statuses[dg] = createHash(sod.hashAlgorithm).update(bytes).digest().equals(expected) ? 'match' : 'mismatch';
  }
  const bad = Object.entries(statuses).filter(([, s]) => s === 'mismatch' || s === 'not-in-sod');
  const matched = Object.values(statuses).filter((s) => s === 'match').length;
  return {
    statuses,
    check:
      bad.length === 0
        ? { ok: true, detail: `${matched} data group(s) read, all match` }
        : { ok: false, detail: bad.map(([dg, s]) => `DG${dg} ${s}`).join(', ') },
  };
}

export function passiveAuthenticate(input: PassiveAuthInput): PassiveAuthResult {
  let sod: SecurityObject;
  if (Buffer.isBuffer(input.sod)) {
    const parsed = parseSod(input.sod);
    if (!parsed.ok) {
      const skipped = notRun('EF.SOD did not parse');
      return {
        ok: false,
        steps: {
          parse: { ok: false, detail: parsed.detail ?? parsed.reason },
          contentType: skipped,
          messageDigest: skipped,
          signature: skipped,
          chain: skipped,
          validity: skipped,
          dataGroups: skipped,
        },
        signer: null,
        csca: null,
        hashAlgorithm: null,
        dataGroups: {},
        failure: 'chip.malformed',
      };
    }
    sod = parsed.value;
  } else {
    sod = input.sod;
  }

  const parse: Check = {
    ok: true,
    detail: `LDS security object, ${sod.hashAlgorithm}, ${sod.dataGroupHashes.size} data group hashes`,
  };
  const eContentTypeOk = sod.eContentType === OID.ldsSecurityObject;
  const attrCheck = checkContentTypeAttribute(sod, sod.signer);
  const contentType: Check = !eContentTypeOk
    ? { ok: false, detail: `eContentType ${sod.eContentType} is not id-icao-ldsSecurityObject` }
    : attrCheck;
  const messageDigest = checkMessageDigest(sod, sod.signer);

  const ds = findDocumentSigner(sod, input.trust);
  const signature = ds
    ? checkSignerSignature(sod, sod.signer, ds)
    : { ok: false, detail: 'document signer certificate not found' };

  let chain: Check = notRun('no document signer certificate');
  let validity: Check = chain;
  let csca: Certificate | undefined;
  if (ds) {
    const found = findIssuer(ds, input.trust);
    csca = found.issuer;
    chain = found.check;
    if (chain.ok && ds.keyUsage && !ds.keyUsage.digitalSignature) {
      chain = { ok: false, detail: 'DS certificate keyUsage lacks digitalSignature' };
    }
    validity = checkValidity(ds, csca, signingTime(sod.signer), input.at);
  }

  const dg = compareDataGroups(sod, input.dataGroups);
  const steps: PassiveAuthSteps = {
    parse,
    contentType,
    messageDigest,
    signature,
    chain,
    validity,
    dataGroups: dg.check,
  };

  let failure: PassiveAuthFailure | undefined;
  if (!contentType.ok || !messageDigest.ok || !signature.ok) failure = 'chip.bad-signature';
  else if (!chain.ok || !validity.ok) failure = 'chip.untrusted-signer';
  else if (!dg.check.ok) failure = 'chip.dg-mismatch';

  const result: PassiveAuthResult = {
    ok: failure === undefined,
    steps,
    signer: ds ? ds.subject.text : null,
    csca: csca ? csca.subject.text : null,
    hashAlgorithm: sod.hashAlgorithm,
    dataGroups: dg.statuses,
  };
  if (failure) result.failure = failure;
  return result;
}
