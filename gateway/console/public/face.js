// @ts-check
// A face decision as a person reads it: the score against the threshold it had to reach ("0.713 ≥ 0.420 ·
// match"), then the liveness verdict in words. The same words in the lane view and in an event's detail.
import { el } from './dom.js';
import { hasLabel, t } from './i18n.js';
import { inWords, PROMPT_WORDS } from './words.js';

/**
 * @param {unknown} score
 * @param {unknown} threshold
 * @returns {string} empty when no score was reached (a liveness failure stops the check before matching)
 */
export function scoreAgainstThreshold(score, threshold) {
  if (typeof score !== 'number')
    return typeof threshold === 'number' ? `${t('face.notScored')} (${threshold.toFixed(3)})` : '';
  if (typeof threshold !== 'number') return score.toFixed(3);
  const match = score >= threshold;
  return `${score.toFixed(3)} ${match ? '≥' : '<'} ${threshold.toFixed(3)} · ${t(match ? 'face.match' : 'face.noMatch')}`;
}

/** @param {unknown} verdict */
export const livenessInWords = (verdict) =>
  typeof verdict === 'string' && hasLabel(`v.liveness.${verdict}`)
    ? t(`v.liveness.${verdict}`)
    : verdict
      ? String(verdict)
      : '';

/**
 * The lane view's face cell: score against threshold, then the liveness verdict; empty for decisions without a face.
 * @param {{ faceScore: number | null, faceThreshold?: number | null, liveness?: string | null }} d
 */
export function faceCell(d) {
  const parts = [
    scoreAgainstThreshold(d.faceScore, d.faceThreshold ?? null),
    livenessInWords(d.liveness ?? null),
  ].filter(Boolean);
  return el('td', { class: 'face' }, parts.join(' · '));
}

/**
 * A face lane's prompt to the person at it, Vietnamese first then English ("Xin hãy chớp mắt · Please blink").
 * @param {string} step
 */
export const facePromptWords = (step) => inWords(PROMPT_WORDS, `face.${step}`);
