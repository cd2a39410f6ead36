import fc from 'fast-check';
import t from 'tap';
import type { LivenessMode, LivenessVerdict } from '../../../gateway/face/liveness.js';
import { afterBurst, MAX_LIVENESS_BURSTS, retryFacts } from '../../../gateway/face/liveness-retry.js';

t.test('at a required lane, an uncertain first burst asks the person to blink instead of denying', async (t) => {
  t.same(afterBurst('uncertain', 'required', 1), { t: 'ask-blink' });
});

t.test('an uncertain second burst (after the prompt) denies', async (t) => {
  t.same(afterBurst('uncertain', 'required', 2), { t: 'act', action: 'deny' });
});

t.test('a spoof denies at once, with no prompt to tell the attacker what to show', async (t) => {
  t.same(afterBurst('spoof', 'required', 1), { t: 'act', action: 'deny' });
  t.same(afterBurst('spoof', 'required', 2), { t: 'act', action: 'deny' });
});

t.test('a live burst passes, first or after the prompt', async (t) => {
  t.same(afterBurst('live', 'required', 1), { t: 'act', action: 'pass' });
  t.same(afterBurst('live', 'required', 2), { t: 'act', action: 'pass' });
});

t.test('advisory and off lanes never prompt: they flag or pass on the first burst', async (t) => {
  t.same(afterBurst('uncertain', 'advisory', 1), { t: 'act', action: 'flag' });
  t.same(afterBurst('spoof', 'advisory', 1), { t: 'act', action: 'flag' });
  t.same(afterBurst('uncertain', 'off', 1), { t: 'act', action: 'pass' });
});

t.test('whatever the verdicts, a person is asked at most once and never given a third burst', async (t) => {
  const verdict = fc.constantFrom<LivenessVerdict>('live', 'spoof', 'uncertain');
  const mode = fc.constantFrom<LivenessMode>('off', 'advisory', 'required');
  fc.assert(
    fc.property(fc.array(verdict, { minLength: 1, maxLength: 5 }), mode, (verdicts, m) => {
      let bursts = 0;
      let prompts = 0;
      for (const v of verdicts) {
        bursts++;
        const next = afterBurst(v, m, bursts);
        if (next.t === 'act') return bursts <= MAX_LIVENESS_BURSTS && prompts <= 1;
        prompts++;
      }
      return bursts <= MAX_LIVENESS_BURSTS;
    }),
  );
  t.equal(MAX_LIVENESS_BURSTS, 2);
});

t.test("the retry's facts say the person was asked, what the first burst said and how it ended", async (t) => {
  t.same(retryFacts({ verdict: 'uncertain', score: 0.21234 }, 'live'), {
    livenessRetry: true,
    livenessPrompt: 'blink',
    livenessFirst: 'uncertain',
    livenessFirstScore: 0.212,
    livenessRetryOutcome: 'live',
  });
  t.match(retryFacts({ verdict: 'uncertain', score: 0 }, 'timeout'), { livenessRetryOutcome: 'timeout' });
});
