import t from 'tap';
import { emptyFaceTally, faceLine, isFaceDecision, tallyFace } from '../../sim/face-report.js';

const allowed = {
  decision: 'allow' as const,
  reason: 'ok' as const,
  facts: { liveness: 'live', faceScore: 0.645, faceThreshold: 0.406, faceMatch: 'document-photo' },
};
const noMatch = {
  decision: 'deny' as const,
  reason: 'face.no-match' as const,
  facts: { liveness: 'live', faceScore: -0.14, faceThreshold: 0.406 },
};
const notLive = {
  decision: 'deny' as const,
  reason: 'face.liveness-failed' as const,
  facts: { liveness: 'uncertain' },
};
const ticketOnly = { decision: 'allow' as const, reason: 'ok' as const, facts: { kid: 'demo-2026-a' } };

t.test('a decision line shows the face score against the threshold and the liveness verdict', async (t) => {
  t.equal(faceLine(allowed), '  face 0.645≥0.406 liveness live');
  t.equal(faceLine(noMatch), '  face -0.140<0.406 liveness live');
  t.equal(faceLine(notLive), '  face -/- liveness uncertain', 'no score when liveness failed before the match');
  t.equal(faceLine(ticketOnly), '', 'nothing for a decision without a face');
});

t.test('the summary counts face decisions by reason and by liveness verdict, and nothing else', async (t) => {
  const tally = emptyFaceTally();
  for (const d of [allowed, noMatch, notLive, notLive, ticketOnly]) tallyFace(tally, d);
  t.same(tally, {
    decisions: 4,
    allowed: 1,
    byReason: { ok: 1, 'face.no-match': 1, 'face.liveness-failed': 2 },
    byLiveness: { live: 2, uncertain: 2 },
  });
  t.ok(isFaceDecision({ reason: 'face.missing' as const, facts: {} }), 'a face that never came is a face decision');
});
