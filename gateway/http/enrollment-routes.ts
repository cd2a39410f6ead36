// /v1/admin/enrollments: enroll a person for 1:N face identification (with recorded consent), list who
// is enrolled (references and dates only), and delete an enrollment on the person's request.
// Photos arrive base64 in the JSON body, are analysed in memory and never stored or logged.
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import { type EnrollmentStore, type FaceAnalyzer, MAX_ENROLL_PHOTOS, PERSON_REF_PATTERN } from '../face/enrollment.js';

/** One photo at most about 1.5 MB decoded (2 MB of base64): enough for a 12-megapixel JPEG. */
export const MAX_PHOTO_BASE64_CHARS = 2 * 1024 * 1024;

const PersonRef = z.string().regex(PERSON_REF_PATTERN, 'personRef: 1..128 characters of A-Z a-z 0-9 . _ : -');
const Photo = z
  .string()
  .max(MAX_PHOTO_BASE64_CHARS, `a photo is at most ${MAX_PHOTO_BASE64_CHARS} base64 characters`)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'a photo must be base64');

export const EnrollmentBody = z
  .object({
    personRef: PersonRef,
    label: z.string().min(1).max(200).optional(),
    consent: z
      .object({
        version: z.string().min(1).max(64),
        by: z.string().min(1).max(64),
        purpose: z.string().min(1).max(200),
      })
      .strict(),
    photos: z.array(Photo).min(1).max(MAX_ENROLL_PHOTOS),
  })
  .strict();

const Created = z.object({
  personRef: z.string(),
  photosUsed: z.number(),
  replaced: z.boolean(),
  rejected: z.array(z.object({ index: z.number(), reason: z.string() })),
});
const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  rejected: z.array(z.object({ index: z.number(), reason: z.string() })).optional(),
});
const Entry = z.object({
  personRef: z.string(),
  enrolledAt: z.number(),
  consentVersion: z.string(),
  photosUsed: z.number(),
});

export interface EnrollmentRoutesOptions {
  enrollment: EnrollmentStore;
  pipeline: FaceAnalyzer;
  /** Checked before the body is read (gateway/http/auth.ts), so an anonymous upload is refused unread. */
  authorize: (role: 'admin') => onRequestHookHandler;
  /** Photos are large: the gateway passes http.bodyLimitBytes; without it the server's small default applies. */
  bodyLimit?: number;
}

/** Who did it, for the enrollment log: the authenticated principal's id when auth put one on the request. */
function actor(req: unknown, fallback: string): string {
  const p = (req as { principal?: { name?: unknown } }).principal;
  return typeof p?.name === 'string' && p.name ? p.name.slice(0, 64) : fallback;
}

export const enrollmentRoutes: FastifyPluginAsync<EnrollmentRoutesOptions> = async (app, opts) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/admin/enrollments',
    {
      onRequest: opts.authorize('admin'),
      bodyLimit: opts.bodyLimit,
      schema: {
        summary: 'Enroll a person for face identification (admin); photos are analysed and discarded',
        body: EnrollmentBody,
        response: { 201: Created, 400: ErrorBody, 422: ErrorBody },
      },
    },
    async (req, reply) => {
      const photos = req.body.photos.map((p) => Buffer.from(p, 'base64'));
      const result = await opts.enrollment.enroll(
        { personRef: req.body.personRef, label: req.body.label, consent: req.body.consent, photos },
        opts.pipeline,
      );
      if (result.ok) {
        req.log.info(
          {
            photosUsed: result.value.photosUsed,
            rejected: result.value.rejected.length,
            by: actor(req, req.body.consent.by),
          },
          'enrollment stored',
        );
        const { personRef, photosUsed, replaced, rejected } = result.value;
        return reply.code(201).send({
          personRef,
          photosUsed,
          replaced,
          rejected: rejected.map(({ index, reason }) => ({ index, reason })),
        });
      }
      if (result.reason === 'enroll.bad-request')
        return reply.code(400).send({ error: result.reason, message: result.detail });
      return reply.code(422).send({
        error: result.reason,
        message: result.detail,
        rejected: result.rejected.map(({ index, reason }) => ({ index, reason })),
      });
    },
  );

  r.get(
    '/v1/admin/enrollments',
    {
      onRequest: opts.authorize('admin'),
      schema: {
        summary: 'Enrolled references and dates (admin); no templates, no labels',
        response: { 200: z.object({ enrollments: z.array(Entry) }) },
      },
    },
    async () => ({ enrollments: opts.enrollment.list() }),
  );

  r.delete(
    '/v1/admin/enrollments/:personRef',
    {
      onRequest: opts.authorize('admin'),
      schema: {
        summary: "Delete an enrollment on the person's request (admin); the deletion is logged without personal data",
        params: z.object({ personRef: PersonRef }),
        response: { 204: z.null(), 404: ErrorBody },
      },
    },
    async (req, reply) => {
      if (!opts.enrollment.delete(req.params.personRef, actor(req, 'api'))) {
        return reply.code(404).send({ error: 'enroll.unknown', message: 'no enrollment with that reference' });
      }
      return reply.code(204).send(null);
    },
  );
};
