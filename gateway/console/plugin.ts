// The operator console as one HTTP plugin for the gateway's composition root: console accounts and sessions,
// the operator, live, and security-staff routes, and the static console itself (served from this folder: no
// CDN, it works on a box with no internet). Its strict CSP comes with the server (http/security-headers.ts).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { type BackoffLimits, LoginThrottle } from '../auth/login-throttle.js';
import { type SessionLimits, SessionStore } from '../auth/sessions.js';
import { UserStore } from '../auth/users.js';
import type { GatewayCore } from '../gateway.js';
import { registerConsoleRoutes } from '../http/console-routes.js';
import { registerLiveRoutes } from '../http/live-routes.js';
import { registerSecurityRoutes } from '../http/security-routes.js';
import { registerSessionAuth } from '../http/session-auth.js';
import { registerUserRoutes } from '../http/users-routes.js';

export interface ConsoleOptions {
  sessionLimits?: SessionLimits;
  throttle?: BackoffLimits;
  loginRateLimit?: { max: number; timeWindowMs: number };
  secureCookies?: 'auto' | boolean;
  liveHeartbeatMs?: number;
}

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
/** What a browser loads from public/: the page, its stylesheet and its ES modules (not `*.d.ts`). */
const BROWSER_FILE = /^\/?[a-z0-9-]+\.(html|css|js)$/;

/** For GatewayOptions.http: `http: [consolePlugin()]`. */
export function consolePlugin(opts: ConsoleOptions = {}): (app: FastifyInstance, core: GatewayCore) => Promise<void> {
  return (app, core) => registerConsole(app, core, opts);
}

export async function registerConsole(
  app: FastifyInstance,
  core: GatewayCore,
  opts: ConsoleOptions = {},
): Promise<void> {
  // A log file deleted or replaced under the daemon is re-opened empty: the accounts went with it, but the
  // migrations make the tables again, so login answers 401 (and an admin can re-add accounts with the CLI).
  const users = new UserStore(core.store.repos.auth, core.now);
  const sessions = new SessionStore(core.store.repos.auth, core.now, opts.sessionLimits);
  const throttle = new LoginThrottle(core.now, opts.throttle);
  await registerSessionAuth(app, core, {
    users,
    sessions,
    throttle,
    secureCookies: opts.secureCookies,
    loginRateLimit: opts.loginRateLimit,
    loginBodyLimit: core.config.http.loginBodyLimitBytes,
  });

  // Refusals of a known person (wrong role, 403) also go to the audit log that admins read; anonymous 401s
  // stay in the process log only, so a scanner cannot fill the database.
  const logDenied = core.auth.onDenied;
  core.auth.onDenied = (req, why) => {
    logDenied(req, why);
    if (req.principal)
      core.audit.record({
        actor: req.principal.name,
        role: req.principal.role,
        action: 'access.denied',
        filter: { url: req.url.split('?')[0], why },
        outcome: 'denied',
      });
  };

  await registerConsoleRoutes(app, core);
  await registerLiveRoutes(app, core, {
    heartbeatMs: opts.liveHeartbeatMs,
    maxStreams: core.config.http.liveStreams.max,
    perPrincipal: core.config.http.liveStreams.perPrincipal,
    stillValid: (req) => req.consoleSession === undefined || sessions.find(req.consoleSession.token) !== null,
  });
  await registerSecurityRoutes(app, core);
  await registerUserRoutes(app, core, users);

  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: PUBLIC_DIR,
      prefix: '/console/',
      decorateReply: false,
      index: ['index.html'],
      // The page, its style and its ES modules; type declarations beside them are for the type check only.
      allowedPath: (pathName) => BROWSER_FILE.test(pathName) || pathName === '/' || pathName === '',
      cacheControl: true,
      maxAge: 0,
    });
    scope.get('/console', { schema: { hide: true } }, (_req, reply) => reply.redirect('/console/'));
    scope.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect('/console/'));
  });
}
