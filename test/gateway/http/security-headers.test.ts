// Browser security headers: helmet's full set on every answer of a route that does not opt out, computed
// once; the strict CSP everywhere except /docs (swagger-ui's inline styles); none on an opted-out route.
import Fastify from 'fastify';
import t from 'tap';
import { registerSecurityHeaders } from '../../../gateway/http/security-headers.js';

async function server() {
  const app = Fastify({ logger: false });
  await registerSecurityHeaders(app);
  app.get('/page', async () => 'page');
  app.get('/docs/', async () => 'docs');
  app.post('/device', { config: { securityHeaders: false } }, async () => ({ ok: true }));
  return app;
}

t.test('a page gets the strict CSP, no framing, nosniff, no referrer, HSTS', async (t) => {
  const app = await server();
  t.teardown(() => app.close());
  const h = (await app.inject('/page')).headers;
  // Written out, not derived from the code's own directives: a weakened directive must fail here.
  t.equal(
    h['content-security-policy'],
    [
      "default-src 'self'",
      "script-src 'self'",
      "script-src-attr 'none'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join(';'),
  );
  t.equal(h['x-frame-options'], 'SAMEORIGIN');
  t.equal(h['x-content-type-options'], 'nosniff');
  t.equal(h['referrer-policy'], 'no-referrer');
  t.match(h['strict-transport-security'], /max-age=\d+/);
  t.equal(h['cross-origin-opener-policy'], 'same-origin');
  t.notOk(h['cross-origin-embedder-policy'], 'off: the console loads nothing cross-origin that would need it');
});

t.test('404s carry the headers too; /docs allows inline styles only', async (t) => {
  const app = await server();
  t.teardown(() => app.close());
  t.equal((await app.inject('/nothing-here')).headers['x-content-type-options'], 'nosniff');
  const docs = String((await app.inject('/docs/')).headers['content-security-policy']);
  t.match(docs, "style-src 'self' 'unsafe-inline'");
  t.match(docs, "script-src 'self';");
  t.match(docs, "frame-ancestors 'none'");
});

t.test('a route that opts out answers without any of them', async (t) => {
  const app = await server();
  t.teardown(() => app.close());
  const h = (await app.inject({ method: 'POST', url: '/device' })).headers;
  for (const k of ['content-security-policy', 'x-frame-options', 'strict-transport-security', 'x-content-type-options'])
    t.notOk(h[k], k);
});
