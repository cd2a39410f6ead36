// The prompt-and-retry rule at a lane whose liveness is `required` (issue #15). A live person who keeps still
// for the whole burst gives the same landmarks as a printed photo, so an `uncertain` first burst is not a
// denial yet: the lane asks the person to blink and decides on exactly one more burst. `spoof` (a photo moved
// by hand, a model veto) denies at once: a prompt would only tell an attacker what to show next.
import { actionFor, type LivenessAction, type LivenessMode, type LivenessVerdict } from './liveness.js';

/** One first burst and at most one more after the prompt: the person is not kept at the gate any longer. */
export const MAX_LIVENESS_BURSTS = 2;

export type LivenessNext = { t: 'act'; action: LivenessAction } | { t: 'ask-blink' };

/** What the lane does after its `burstsTaken`-th burst (1-based) came out `verdict`. */
export function afterBurst(verdict: LivenessVerdict, mode: LivenessMode, burstsTaken: number): LivenessNext {
  if (mode === 'required' && verdict === 'uncertain' && burstsTaken < MAX_LIVENESS_BURSTS) return { t: 'ask-blink' };
  return { t: 'act', action: actionFor(verdict, mode) };
}

/**
 * The facts a decision carries about the prompt (none without one): that the person was asked, what the first
 * burst said, and how the retry ended (`live`, `uncertain`, `spoof`; `timeout` when the second burst's frames
 * did not arrive in time).
 */
export function retryFacts(first: { verdict: LivenessVerdict; score: number }, outcome: LivenessVerdict | 'timeout') {
  return {
    livenessRetry: true,
    livenessPrompt: 'blink',
    livenessFirst: first.verdict,
    livenessFirstScore: Math.round(first.score * 1000) / 1000,
    livenessRetryOutcome: outcome,
  } as const;
}
