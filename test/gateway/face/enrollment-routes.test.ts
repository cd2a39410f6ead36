// The enrollment HTTP API (gateway/http/enrollment-routes.ts), with a fake analyzer: no models needed.

import { createHash, randomBytes } from 'node:crypto';
import { serializerCompiler, validatorCompiler } from '@fastify/type-provider-zod';
import Fastify, { type preHandlerHookHandler } from 'fastify';
import t from 'tap';
import { EnrollmentStore, type FaceAnalyzer } from '../../../gateway/face/enrollment.js';
import type { FaceResult } from '../../../gateway/face/pipeline.js';
import { enrollmentRoutes } from '../../../gateway/http/enrollment-routes.js';
import { EventStore } from '../../../gateway/store/event-store.js';

const analyzer: FaceAnalyzer = {
  async analyze(image: Buffer): Promise<FaceResult> {
    if (image[0] === 0) return { ok: false, reason: 'face.none', detail: 'no face found' };
    const person = createHash('sha256').update(String(image[0])).digest();
    return {
      ok: true,
      value: { embedding: new Float32Array(512).map((_, i) => person[i % 32] - 128), quality: { ok: true } } as never,
    };
  },
};

async function server(t: { teardown(fn: () => unknown): void }) {
  const events = new EventStore({ path: ':memory:' });
  const enrollment = new EnrollmentStore({ repo: events.repos.enrollment, key: randomBytes(32), keyId: 'k1' });
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const authorize = (): preHandlerHookHandler => (req, reply, done) => {
    if (req.headers.authorization !== 'Bearer admin')
      return void reply.code(401).send({ error: 'unauthorized', message: 'no' });
    done();
  };
  await app.register(enrollmentRoutes, { enrollment, pipeline: analyzer, authorize });
  t.teardown(async () => {
    await app.close();
    events.close();
  });
  return app;
}

const admin = { authorization: 'Bearer admin' };
const body = (photos: number[][]) => ({
  personRef: 'emp-1',
  consent: { version: 'v1', by: 'op-1', purpose: 'staff entrance' },
  photos: photos.map((p) => Buffer.from(p).toString('base64')),
});

t.test('POST enrolls and reports rejected photos with 201', async (t) => {
  const app = await server(t);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/admin/enrollments',
    headers: admin,
    payload: body([
      [1, 1],
      [0, 0],
    ]),
  });
  t.equal(res.statusCode, 201);
  t.same(res.json(), {
    personRef: 'emp-1',
    photosUsed: 1,
    replaced: false,
    rejected: [{ index: 1, reason: 'face.none' }],
  });
});

t.test('POST without a usable photo is 422 with the reasons', async (t) => {
  const app = await server(t);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/admin/enrollments',
    headers: admin,
    payload: body([[0, 1]]),
  });
  t.equal(res.statusCode, 422);
  t.match(res.json(), { error: 'enroll.no-usable-photo', rejected: [{ index: 0, reason: 'face.none' }] });
});

t.test('POST with a bad body is 400 and names the field', async (t) => {
  const app = await server(t);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/admin/enrollments',
    headers: admin,
    payload: { ...body([[1]]), photos: [] },
  });
  t.equal(res.statusCode, 400);
  t.match(res.body, /photos/);
  const six = await app.inject({
    method: 'POST',
    url: '/v1/admin/enrollments',
    headers: admin,
    payload: body([[1], [1], [1], [1], [1], [1]]),
  });
  t.equal(six.statusCode, 400);
});

t.test('every route needs the admin role', async (t) => {
  const app = await server(t);
  t.equal((await app.inject({ method: 'GET', url: '/v1/admin/enrollments' })).statusCode, 401);
  t.equal((await app.inject({ method: 'POST', url: '/v1/admin/enrollments', payload: body([[1]]) })).statusCode, 401);
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/admin/enrollments/emp-1' })).statusCode, 401);
});

t.test('GET lists references and dates only', async (t) => {
  const app = await server(t);
  await app.inject({
    method: 'POST',
    url: '/v1/admin/enrollments',
    headers: admin,
    payload: { ...body([[1]]), label: 'Trần Thị B' },
  });
  const res = await app.inject({ method: 'GET', url: '/v1/admin/enrollments', headers: admin });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { enrollments: [{ personRef: 'emp-1', consentVersion: 'v1', photosUsed: 1 }] });
  t.notMatch(res.body, /Trần|template/);
});

t.test('DELETE removes an enrollment with 204 and answers 404 for an unknown one', async (t) => {
  const app = await server(t);
  await app.inject({ method: 'POST', url: '/v1/admin/enrollments', headers: admin, payload: body([[1]]) });
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/admin/enrollments/emp-1', headers: admin })).statusCode, 204);
  const again = await app.inject({ method: 'DELETE', url: '/v1/admin/enrollments/emp-1', headers: admin });
  t.equal(again.statusCode, 404);
  t.same(again.json(), { error: 'enroll.unknown', message: 'no enrollment with that reference' });
});
