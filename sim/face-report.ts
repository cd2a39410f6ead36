// How the demo reports face decisions: the part of a decision line that shows the face score against its
// threshold and the liveness verdict, and the SUMMARY's count of face decisions by reason.
import type { DecisionRecord } from '../gateway/events.js';

/** A decision in which a face was checked (or should have been and could not be). */
export const isFaceDecision = (d: Pick<DecisionRecord, 'reason' | 'facts'>): boolean =>
  d.reason.startsWith('face.') || 'faceScore' in d.facts || 'liveness' in d.facts || 'faceMatch' in d.facts;

/**
 * ` face 0.645≥0.406 live` for a decision line; a score that never came (liveness failed first) shows as
 * `-`. Empty for decisions without a face.
 */
export function faceLine(d: Pick<DecisionRecord, 'reason' | 'facts'>): string {
  if (!isFaceDecision(d)) return '';
  const { faceScore, faceThreshold, liveness } = d.facts;
  const score = typeof faceScore === 'number' ? faceScore.toFixed(3) : '-';
  const threshold = typeof faceThreshold === 'number' ? faceThreshold.toFixed(3) : '-';
  const relation =
    typeof faceScore === 'number' && typeof faceThreshold === 'number' ? (faceScore >= faceThreshold ? '≥' : '<') : '/';
  return `  face ${score}${relation}${threshold} liveness ${liveness ?? '-'}`;
}

export interface FaceTally {
  decisions: number;
  allowed: number;
  byReason: Record<string, number>;
  byLiveness: Record<string, number>;
}

export const emptyFaceTally = (): FaceTally => ({ decisions: 0, allowed: 0, byReason: {}, byLiveness: {} });

/** Counts `d` in `tally` when it is a face decision. */
export function tallyFace(tally: FaceTally, d: Pick<DecisionRecord, 'decision' | 'reason' | 'facts'>): void {
  if (!isFaceDecision(d)) return;
  tally.decisions++;
  if (d.decision === 'allow') tally.allowed++;
  tally.byReason[d.reason] = (tally.byReason[d.reason] ?? 0) + 1;
  const live = String(d.facts.liveness ?? 'none');
  tally.byLiveness[live] = (tally.byLiveness[live] ?? 0) + 1;
}
