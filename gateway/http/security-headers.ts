// Browser security headers for everything the gateway serves, registered before any route so a route can
// opt out (`helmet: false`) where no browser ever reads the answer.
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

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

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  // useDefaults off: helmet's defaults allow inline styles and add upgrade-insecure-requests, which would
  // break the console on a plain-HTTP box address.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  // swagger-ui (/docs) sets inline styles from its bundle; scripts stay 'self' only there too.
  const docsCsp = cspHeader({ ...CSP_DIRECTIVES, styleSrc: ["'self'", "'unsafe-inline'"] });
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.url === '/docs' || req.url.startsWith('/docs/')) reply.header('content-security-policy', docsCsp);
    done(null, payload);
  });
}
