// Enrolled people for 1:N identification (industrial parks, staff lanes): one averaged face template per
// person, sealed at rest (AES-256-GCM, key from outside the repository, key id kept for rotation),
// with the consent it rests on. Photos are analysed in memory and never kept. A person is an opaque
// personRef chosen by the caller (a keyed ID hash, an employee number): this module never sees a name
// unless the caller passes a label, and that label is sealed too.
import { createHmac } from 'node:crypto';
import type { EnrollLogEntry, EnrollmentRepository } from '../store/enrollment-repo.js';
import { ENROLLMENT_KEY_BYTES, open, seal } from './enrollment-crypto.js';
import type { FaceResult } from './pipeline.js';
import { TEMPLATE_DIMENSIONS, TemplateIndex } from './search.js';
import { l2Normalise } from './vectors.js';

/** What enrollment needs from the face pipeline (FacePipeline satisfies it). */
export interface FaceAnalyzer {
  analyze(image: Buffer, opts?: { liveness?: boolean; skipQuality?: boolean }): Promise<FaceResult>;
}

export interface Consent {
  /** Version of the consent text the person agreed to. */
  version: string;
  /** Operator who took the consent and enrolled (staff id, not the person's). */
  by: string;
  purpose: string;
  /** When consent was given (ms); defaults to enrollment time. */
  at?: number;
}

export interface EnrollRequest {
  personRef: string;
  label?: string;
  consent: Consent;
  photos: Buffer[];
}

export interface PhotoRejection {
  index: number;
  reason: string;
  detail?: string;
}

export type EnrollFailure =
  | { ok: false; reason: 'enroll.bad-request'; detail: string }
  | { ok: false; reason: 'enroll.no-usable-photo'; detail: string; rejected: PhotoRejection[] }
  | { ok: false; reason: 'enroll.inconsistent-photos'; detail: string; rejected: PhotoRejection[] };

export type EnrollResult =
  | { ok: true; value: { personRef: string; photosUsed: number; rejected: PhotoRejection[]; replaced: boolean } }
  | EnrollFailure;

export interface EnrolledEntry {
  personRef: string;
  enrolledAt: number;
  consentVersion: string;
  photosUsed: number;
}

export type LoadResult =
  | { ok: true; value: { loaded: number } }
  | { ok: false; reason: 'enroll.cannot-decrypt'; detail: string; loaded: number; failed: number };

export const MAX_ENROLL_PHOTOS = 5;
export const PERSON_REF_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface EnrollmentStoreOptions {
  repo: EnrollmentRepository;
  /** 32 bytes (AES-256). */
  key: Buffer;
  keyId: string;
  index?: TemplateIndex;
  /**
   * A photo whose embedding matches the mean of the others below this is not the same person (or is
   * a poor photo) and is left out. Default 0.329: the similarity at a measured FMR of 1e-2
   * (models/thresholds.json), a deliberately loose bar: it catches a wrong photo, not a bad likeness.
   */
  consistencyMin?: number;
  now?: () => number;
}

export class EnrollmentStore {
  readonly index: TemplateIndex;
  private readonly repo: EnrollmentRepository;
  private readonly key: Buffer;
  private readonly keyId: string;
  private readonly consistencyMin: number;
  private readonly now: () => number;
  // 1:1 verify needs one template by id; TemplateIndex has no lookup, so a copy is kept here
  // (2 KB per person). TODO: drop when TemplateIndex gains get(id).
  private readonly templates = new Map<string, Float32Array>();

  constructor(opts: EnrollmentStoreOptions) {
    if (opts.key.length !== ENROLLMENT_KEY_BYTES)
      throw new TypeError(`enrollment key must be ${ENROLLMENT_KEY_BYTES} bytes`);
    if (!opts.keyId || opts.keyId.length > 64) throw new TypeError('enrollment keyId must be 1..64 characters');
    this.repo = opts.repo;
    this.key = Buffer.from(opts.key);
    this.keyId = opts.keyId;
    this.index = opts.index ?? new TemplateIndex();
    this.consistencyMin = opts.consistencyMin ?? 0.329;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.index.size;
  }

  /** Decrypts every template into the 1:N index. Rows that will not open are counted, never guessed at. */
  load(): LoadResult {
    const rows = this.repo.templates();
    let loaded = 0;
    const foreignKeys = new Set<string>();
    let failed = 0;
    for (const row of rows) {
      if (row.key_id !== this.keyId) {
        foreignKeys.add(row.key_id);
        failed++;
        continue;
      }
      const opened = open(this.key, aad(row.person_ref, 'template'), row.template);
      if (!opened.ok || opened.value.length !== TEMPLATE_DIMENSIONS * 4) {
        failed++;
        continue;
      }
      this.remember(
        row.person_ref,
        new Float32Array(opened.value.buffer, opened.value.byteOffset, TEMPLATE_DIMENSIONS),
      );
      loaded++;
    }
    if (failed === 0) return { ok: true, value: { loaded } };
    const why = foreignKeys.size
      ? `${failed} of ${rows.length} templates are sealed with key ${[...foreignKeys].join(', ')}, this gateway holds ${this.keyId}`
      : `${failed} of ${rows.length} templates did not decrypt with key ${this.keyId}: wrong key material, or the rows were altered`;
    return { ok: false, reason: 'enroll.cannot-decrypt', detail: why, loaded, failed };
  }

  async enroll(req: EnrollRequest, analyzer: FaceAnalyzer): Promise<EnrollResult> {
    const bad = checkRequest(req);
    if (bad) return { ok: false, reason: 'enroll.bad-request', detail: bad };
    const rejected: PhotoRejection[] = [];
    const accepted: Array<{ index: number; embedding: Float32Array }> = [];
    for (let i = 0; i < req.photos.length; i++) {
      const r = await analyzer.analyze(req.photos[i]);
      if (!r.ok) rejected.push({ index: i, reason: r.reason, detail: r.detail });
      else if (!r.value.quality.ok)
        rejected.push({ index: i, reason: r.value.quality.reason, detail: r.value.quality.detail });
      else accepted.push({ index: i, embedding: l2Normalise(r.value.embedding) });
    }
    if (accepted.length === 0)
      return { ok: false, reason: 'enroll.no-usable-photo', detail: 'no photo gave a usable face', rejected };

    const consistent = this.dropInconsistent(accepted, rejected);
    if (!consistent.ok) return { ok: false, reason: 'enroll.inconsistent-photos', detail: consistent.detail, rejected };

    const template = meanTemplate(consistent.kept.map((a) => a.embedding));
    const replaced = this.put(req, template, consistent.kept.length);
    this.remember(req.personRef, template);
    return {
      ok: true,
      value: {
        personRef: req.personRef,
        photosUsed: consistent.kept.length,
        rejected: rejected.sort((a, b) => a.index - b.index),
        replaced,
      },
    };
  }

  /** Removes the template on the person's request; the log keeps only that it happened, and by whom. */
  delete(personRef: string, by: string): boolean {
    const gone = this.repo.remove(personRef, () => this.logEntry('delete', by, personRef));
    if (gone) {
      this.index.remove(personRef);
      this.templates.delete(personRef);
    }
    return gone;
  }

  /** References and dates only: no templates, no labels. */
  list(): EnrolledEntry[] {
    const rows = this.repo.list();
    return rows.map((r) => ({
      personRef: r.person_ref,
      enrolledAt: r.enrolled_at,
      consentVersion: r.consent_version,
      photosUsed: r.photos_used,
    }));
  }

  /** The label given at enrollment, decrypted, for an operator screen (the caller audits the read). */
  label(personRef: string): string | null {
    const sealed = this.repo.sealedLabel(personRef);
    if (!sealed) return null;
    const opened = open(this.key, aad(personRef, 'label'), sealed);
    return opened.ok ? opened.value.toString('utf8') : null;
  }

  /** The best enrolled match at or above `threshold`, or null: unknown people stay unknown. */
  identify(embedding: Float32Array, threshold: number): { personRef: string; score: number } | null {
    if (embedding.length !== TEMPLATE_DIMENSIONS) return null;
    const [best] = this.index.search(embedding, 1);
    return best && best.score >= threshold ? { personRef: best.id, score: best.score } : null;
  }

  verify(
    personRef: string,
    embedding: Float32Array,
  ): { ok: true; score: number } | { ok: false; reason: 'face.not-enrolled' } {
    const template = this.templates.get(personRef);
    if (!template || embedding.length !== TEMPLATE_DIMENSIONS) return { ok: false, reason: 'face.not-enrolled' };
    return { ok: true, score: dot(template, l2Normalise(embedding)) };
  }

  private remember(personRef: string, template: Float32Array): void {
    const unit = l2Normalise(template);
    this.index.add(personRef, unit);
    this.templates.set(personRef, unit);
  }

  private dropInconsistent(
    accepted: Array<{ index: number; embedding: Float32Array }>,
    rejected: PhotoRejection[],
  ): { ok: true; kept: Array<{ index: number; embedding: Float32Array }> } | { ok: false; detail: string } {
    if (accepted.length < 2) return { ok: true, kept: accepted };
    const scores = accepted.map((a, i) =>
      dot(a.embedding, meanTemplate(accepted.filter((_, j) => j !== i).map((b) => b.embedding))),
    );
    const outliers = scores.map((s, i) => (s < this.consistencyMin ? i : -1)).filter((i) => i >= 0);
    if (outliers.length === 0) return { ok: true, kept: accepted };
    // With two photos that disagree there is no telling which one is the person.
    if (accepted.length - outliers.length < Math.max(1, Math.ceil(accepted.length / 2))) {
      return {
        ok: false,
        detail: `the photos do not show one person (similarity to each other below ${this.consistencyMin})`,
      };
    }
    for (const i of outliers)
      rejected.push({
        index: accepted[i].index,
        reason: 'enroll.not-same-person',
        detail: `similarity ${scores[i].toFixed(3)} to the other photos`,
      });
    return { ok: true, kept: accepted.filter((_, i) => !outliers.includes(i)) };
  }

  private put(req: EnrollRequest, template: Float32Array, photosUsed: number): boolean {
    const now = this.now();
    const sealedTemplate = seal(
      this.key,
      aad(req.personRef, 'template'),
      Buffer.from(template.buffer, template.byteOffset, template.byteLength),
    );
    const sealedLabel = req.label ? seal(this.key, aad(req.personRef, 'label'), Buffer.from(req.label, 'utf8')) : null;
    return this.repo.put(
      {
        ref: req.personRef,
        keyId: this.keyId,
        template: sealedTemplate,
        label: sealedLabel,
        photos: photosUsed,
        version: req.consent.version,
        purpose: req.consent.purpose,
        by: req.consent.by,
        consentAt: req.consent.at ?? now,
        now,
      },
      (existed) =>
        this.logEntry(
          existed ? 're-enroll' : 'enroll',
          req.consent.by,
          req.personRef,
          `consent ${req.consent.version}; ${photosUsed} photos`,
        ),
    );
  }

  /**
   * The log names an entry by a keyed tag, not by its personRef: after a deletion the log must not
   * keep a handle on the person, yet an auditor holding the key can still pair an enroll with its delete.
   */
  private logEntry(action: EnrollLogEntry['action'], by: string, personRef: string, detail = ''): EnrollLogEntry {
    const tag = createHmac('sha256', this.key).update(`enroll-log:${personRef}`).digest('hex').slice(0, 16);
    return { ts: this.now(), action, by, entryTag: tag, detail };
  }
}

const aad = (personRef: string, field: 'template' | 'label'): string => `gate06/enroll/v1/${field}/${personRef}`;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Mean of unit embeddings, renormalised: the template a person is matched against. */
export function meanTemplate(embeddings: Float32Array[]): Float32Array {
  const sum = new Float32Array(embeddings[0]?.length ?? TEMPLATE_DIMENSIONS);
  for (const e of embeddings) for (let i = 0; i < sum.length; i++) sum[i] += e[i];
  return l2Normalise(sum);
}

function checkRequest(req: EnrollRequest): string | null {
  if (!PERSON_REF_PATTERN.test(req.personRef)) return 'personRef must be 1..128 characters of A-Z a-z 0-9 . _ : -';
  if (req.label !== undefined && (req.label.length === 0 || req.label.length > 200))
    return 'label must be 1..200 characters';
  const c = req.consent;
  if (!c?.version || c.version.length > 64) return 'consent.version is required (1..64 characters)';
  if (!c.by || c.by.length > 64) return 'consent.by is required (1..64 characters)';
  if (!c.purpose || c.purpose.length > 200) return 'consent.purpose is required (1..200 characters)';
  if (c.at !== undefined && !Number.isFinite(c.at)) return 'consent.at must be a time in ms';
  if (req.photos.length < 1 || req.photos.length > MAX_ENROLL_PHOTOS)
    return `between 1 and ${MAX_ENROLL_PHOTOS} photos`;
  return null;
}
