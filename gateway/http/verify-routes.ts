// POST /v1/verify: the hot path for networked readers and handhelds. Same decision service and durable
// logging as a serial reader on that lane; an allow on a lane with a turnstile unlocks it the same way.

import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { LaneId } from '../config/schema.js';
import { MAX_QR_LENGTH } from '../credentials/cccd-qr.js';
import type { CredentialInput } from '../credentials/establish.js';
import { MAX_TICKET_LENGTH } from '../credentials/ticket.js';
import type { DecisionService } from '../lane/decision-service.js';
import type { LaneController } from '../lane/lane-controller.js';
import { REASON_CODES, REASONS } from '../reasons.js';
import type { Authenticator } from './auth.js';

const b64 = (max: number) =>
  z
    .string()
    .max(Math.ceil(max / 3) * 4 + 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const Credential = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ticket'), token: z.string().min(1).max(MAX_TICKET_LENGTH) }).strict(),
  z.object({ kind: z.literal('cccd-qr'), text: z.string().min(1).max(MAX_QR_LENGTH) }).strict(),
  z
    .object({
      kind: z.literal('chip'),
      sod: b64(64 * 1024),
      dg1: b64(1024),
      dg2: b64(256 * 1024).optional(),
      dg13: b64(16 * 1024).optional(),
      dg14: b64(16 * 1024).optional(),
      dg15: b64(16 * 1024).optional(),
    })
    .strict(),
]);
export const VerifyBody = z
  .object({
    lane: LaneId,
    direction: z.enum(['in', 'out']).default('in'),
    credential: Credential,
    /** An ID card shown with a bound ticket (station), checked for the same person. */
    supporting: z.array(Credential).max(2).optional(),
    face: b64(1536 * 1024).optional(),
    /**
     * false: verify and log only, the turnstile stays as it is (a ticket inspector's handheld, a lane whose
     * barrier is opened by staff). Default true: an allow unlocks the lane as a serial reader's would.
     */
    actuate: z.boolean().default(true),
  })
  .strict();
const VerifyReply = z.object({
  decision: z.enum(['allow', 'deny']),
  reason: z.enum(REASON_CODES as [string, ...string[]]),
  eventId: z.string(),
});
const ErrorReply = z.object({ error: z.string(), message: z.string() });
/**
 * The event log cannot be written, so nothing was decided: 503 in the JSON error shape (a reader retries, a
 * monitor sees a gate fault, not a refused person), and also a deny with its reason for readers that only
 * read those two fields. Never an allow: no decision is answered before it is committed.
 */
const StoreUnavailableReply = ErrorReply.extend({
  decision: z.literal('deny'),
  reason: z.literal('store.unavailable'),
});

function toCredential(c: z.infer<typeof Credential>): CredentialInput {
  if (c.kind !== 'chip') return c;
  const dataGroups = new Map<number, Buffer>();
  for (const [n, v] of [
    [1, c.dg1],
    [2, c.dg2],
    [13, c.dg13],
    [14, c.dg14],
    [15, c.dg15],
  ] as const) {
    if (v) dataGroups.set(n, Buffer.from(v, 'base64'));
  }
  return { kind: 'chip', sod: Buffer.from(c.sod, 'base64'), dataGroups };
}

export const verifyRoutes: FastifyPluginAsync<{
  decisions: DecisionService;
  lanes: Map<string, LaneController>;
  auth: Authenticator;
  /** http.bodyLimitBytes: a chip credential with a face photo. */
  bodyLimit: number;
}> = async (app, opts) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/verify',
    {
      // A JSON API for readers: browser headers (CSP and the rest) protect nothing here.
      config: { securityHeaders: false },
      // The reply is built below from typed values; checking it again with zod on the way out cost more
      // than writing the JSON. The zod schemas still validate the body and document the route.
      serializerCompiler: () => (data) => JSON.stringify(data),
      // Before the body is read: an anonymous 2 MB body is refused unparsed (issue #11, finding 6).
      onRequest: opts.auth.require('device'),
      bodyLimit: opts.bodyLimit,
      schema: {
        summary: 'Verify a credential at a lane and log the decision',
        body: VerifyBody,
        response: {
          200: VerifyReply,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          413: ErrorReply,
          415: ErrorReply,
          503: StoreUnavailableReply,
        },
      },
    },
    async (req, reply) => {
      const receivedAt = performance.now();
      const b = req.body;
      const request = {
        direction: b.direction,
        credential: toCredential(b.credential),
        supporting: b.supporting?.map(toCredential),
        face: b.face ? Buffer.from(b.face, 'base64') : undefined,
        source: 'http' as const,
        receivedAt,
      };
      // Actuating: the lane decides, as for its own readers. Otherwise (and for a lane id this gate does not
      // have) the decision service alone, which logs the decision and its reason.
      const lane = b.actuate ? opts.lanes.get(b.lane) : undefined;
      const outcome = lane ? await lane.decide(request) : await opts.decisions.decide({ ...request, lane: b.lane });
      if (!outcome.event) {
        return reply
          .code(503)
          .header('retry-after', '1')
          .send({
            error: 'store-unavailable',
            message: REASONS['store.unavailable'],
            decision: 'deny' as const,
            reason: 'store.unavailable' as const,
          });
      }
      return { decision: outcome.decision, reason: outcome.reason, eventId: outcome.event.id };
    },
  );
};
