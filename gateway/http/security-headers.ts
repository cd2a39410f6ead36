// Browser security headers for everything the gateway serves; a route opts out (`config: { securityHeaders:
// false }`) where no browser ever reads the answer.
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * The strict policy for everything the gateway serves: scripts, styles and connections from this origin only,
 * no inline script or style, no framing. swagger-ui (/docs) loads its scripts from files too and works under it.
 */
export const CSP_DIRECTIVES: Record<string, string[]> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const cspHeader = (d: Record<string, string[]>): string =>
  Object.entries(d)
    .map(([k, v]) => `${kebab(k)} ${v.join(' ')}`)
    .join('; ');

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route answers machines only (the device API) and gets no browser headers. */
    securityHeaders?: boolean;
  }
}

/** The helmet options of the gateway: one fixed set, no per-request nonces. */
const HELMET_OPTIONS = {
  // useDefaults off: helmet's defaults allow inline styles and add upgrade-insecure-requests, which would
  // break the console on a plain-HTTP box address.
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  crossOriginEmbedderPolicy: false,
  referrerPolicy: { policy: 'no-referrer' as const },
};

/** Headers every answer has whatever the route, which helmet does not set. */
const NOT_HELMETS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The headers helmet sets with these options, found once by asking it on a scratch server. With a fixed
 * configuration they are the same on every answer, while @fastify/helmet rebuilt them in two hooks per
 * request (one of them async) and ran those hooks even on routes that opt out, which showed in the verify
 * profile.
 */
export async function helmetHeaders(): Promise<Record<string, string>> {
  const scratch = Fastify({ logger: false });
  await scratch.register(helmet, HELMET_OPTIONS);
  scratch.get('/', async () => '');
  const res = await scratch.inject('/');
  await scratch.close();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (!NOT_HELMETS.has(k) && typeof v === 'string') out[k] = v;
  return out;
}

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  const headers = await helmetHeaders();
  // swagger-ui (/docs) sets inline styles from its bundle; scripts stay 'self' only there too.
  const docsHeaders = {
    ...headers,
    'content-security-policy': cspHeader({ ...CSP_DIRECTIVES, styleSrc: ["'self'", "'unsafe-inline'"] }),
  };
  app.addHook('onRequest', (req, reply, done) => {
    if (req.routeOptions.config.securityHeaders === false) return done();
    reply.headers(req.url === '/docs' || req.url.startsWith('/docs/') ? docsHeaders : headers);
    done();
  });
}
