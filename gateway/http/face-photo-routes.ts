// GET /v1/security/events/:id/face-photo/:which: the lane camera's frame (`live`) or the reference photo
// (`reference`) behind a face decision, for the security role's own console session only (not admins, not
// tokens: the same least privilege as personal fields), each view audited. The pictures live in memory
// for a short time (gateway/face/face-evidence.ts); after that, or after a restart, the answer is 404.
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type FaceEvidence, imageType } from '../face/face-evidence.js';
import type { GatewayCore } from '../gateway.js';

export async function registerFacePhotoRoutes(
  app: FastifyInstance,
  core: GatewayCore,
  evidence: FaceEvidence,
): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/security/events/:id/face-photo/:which',
    {
      onRequest: core.auth.requireSession('security'),
      schema: {
        summary: "A face decision's camera frame or reference photo, while still held in memory (security); audited",
        params: z
          .object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/), which: z.enum(['live', 'reference']) })
          .strict(),
      },
    },
    async (req, reply) => {
      const principal = req.principal!;
      const audit = (outcome: string) =>
        core.audit.record({
          actor: principal.name,
          role: principal.role,
          action: 'event.face-photo',
          filter: { eventId: req.params.id, which: req.params.which },
          rows: outcome === 'shown' ? 1 : 0,
          outcome,
        });
      // requireSession lets an admin through (roles include the ones below them); the photos are not theirs to see.
      if (principal.role !== 'security') {
        audit('refused');
        return reply.code(403).send({ error: 'forbidden', message: 'face photos are for the security role only' });
      }
      const ev = core.store.get(req.params.id);
      const key = ev?.facts.faceEvidence;
      const pictures = typeof key === 'string' ? evidence.get(key) : null;
      const bytes = pictures ? (req.params.which === 'live' ? pictures.live : pictures.reference) : undefined;
      const type = bytes ? imageType(bytes) : null;
      if (!bytes || !type) {
        audit('gone');
        return reply.code(404).send({
          error: 'not-found',
          message: 'no photo held for this event (photos stay in memory for a short time)',
        });
      }
      audit('shown');
      return reply.header('cache-control', 'no-store').type(type).send(bytes);
    },
  );
}
