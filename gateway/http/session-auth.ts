// Sessions for people at the console: login (rate-limited and backed off per source address, never locked per
// account), logout, "who am I",
// the session resolver plugged into the Authenticator, and CSRF protection for cookie-borne requests.
// Bearer tokens (devices, integrations) never go through here: a request with Authorization is not a session.
import rateLimit from '@fastify/rate-limit';
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { readCookie, sessionCookie } from '../auth/cookies.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import { type Session, type SessionStore, sameSecret } from '../auth/sessions.js';
import type { UserStore } from '../auth/users.js';
import type { GatewayCore } from '../gateway.js';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session & { token: string };
  }
}

export interface SessionAuthDeps {
  users: UserStore;
  sessions: SessionStore;
  throttle: LoginThrottle;
  /** 'auto': Secure cookies when the request arrived over TLS (directly or, with trustProxy, via a local proxy). */
  secureCookies?: 'auto' | boolean;
  /** Per source address, on the login route. */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** http.loginBodyLimitBytes: a name and a password. */
  loginBodyLimit?: number;
}

export const CSRF_HEADER = 'x-csrf-token';
// The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain; only possible over TLS.
const COOKIE_TLS = '__Host-gate06-session';
const COOKIE_PLAIN = 'gate06-session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const LoginBody = z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(256) }).strict();
const Me = z.object({ name: z.string(), role: z.string(), csrfToken: z.string(), expiresAt: z.number() });
const ErrorReply = z.object({ error: z.string(), message: z.string() });

export function sessionToken(req: FastifyRequest): string | null {
  return readCookie(req.headers.cookie, COOKIE_TLS) ?? readCookie(req.headers.cookie, COOKIE_PLAIN);
}

/** Same origin as the Host we answer on; browsers send Origin on every cross-site POST. */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function registerSessionAuth(
  app: FastifyInstance,
  core: GatewayCore,
  deps: SessionAuthDeps,
): Promise<void> {
  const { users, sessions, throttle } = deps;
  const log = core.logger.child({ channel: 'auth' });

  const lookup = (req: FastifyRequest): (Session & { token: string }) | null => {
    if (req.consoleSession) return req.consoleSession;
    if (req.headers.authorization) return null;
    const token = sessionToken(req);
    const session = token ? sessions.find(token) : null;
    if (!session || !token) return null;
    req.consoleSession = { ...session, token };
    return req.consoleSession;
  };

  core.auth.addResolver((req) => {
    const s = lookup(req);
    if (!s) return null;
    sessions.touch(s.token);
    return { kind: 'session', role: s.role, name: s.userName };
  });

  // A cookie rides along on any request the browser makes, so a state change by cookie needs proof that our
  // own page sent it: the session's CSRF token in a header (which another site cannot read or set), and an
  // Origin, when present, equal to ours. SameSite=Strict is the second fence, not the only one.
  // Callback style: every device request passes through here, and returns at the first line.
  app.addHook('onRequest', (req, reply, done) => {
    if (!UNSAFE.has(req.method) || req.headers.authorization || req.url.startsWith('/v1/auth/login')) return done();
    const s = lookup(req);
    if (!s) return done();
    const sent = req.headers[CSRF_HEADER];
    if (!sameOrigin(req) || typeof sent !== 'string' || !sameSecret(sent, s.csrf)) {
      log.warn({ url: req.url.split('?')[0], ip: req.ip, user: s.userName, why: 'csrf' }, 'access denied');
      core.audit.record({
        actor: s.userName,
        role: s.role,
        action: 'access.denied',
        filter: { url: req.url.split('?')[0], why: 'csrf' },
        outcome: 'denied',
      });
      reply.code(403).send({ error: 'forbidden', message: 'missing or wrong CSRF token' });
      return;
    }
    done();
  });

  const isSecure = (req: FastifyRequest): boolean =>
    deps.secureCookies === undefined || deps.secureCookies === 'auto' ? req.protocol === 'https' : deps.secureCookies;

  const setCookie = (req: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number): void => {
    const secure = isSecure(req);
    reply.header('set-cookie', sessionCookie(secure ? COOKIE_TLS : COOKIE_PLAIN, value, { maxAgeS, secure }));
  };

  await app.register(async (scope) => {
    // Encapsulated: the limiter decorates only this scope, so another plugin may use its own.
    await scope.register(rateLimit, { global: false });
    const limit = deps.loginRateLimit ?? { max: 10, timeWindowMs: 60_000 };
    const r = scope.withTypeProvider<ZodTypeProvider>();

    r.post(
      '/v1/auth/login',
      {
        config: { rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } },
        bodyLimit: deps.loginBodyLimit,
        schema: {
          summary: 'Console login: sets an HttpOnly session cookie, returns the CSRF token',
          security: [],
          body: LoginBody,
          response: { 200: Me, 401: ErrorReply, 429: ErrorReply },
        },
      },
      async (req, reply) => {
        const { name, password } = req.body;
        // Counted before the hash, so a burst of parallel attempts cannot all slip past the backoff.
        const wait = throttle.beginAttempt(req.ip, name);
        // Only known account names reach the log: a password typed into the name field must not.
        const known = users.get(name) !== null;
        const actor = known ? name : '(unknown)';
        if (wait > 0) {
          log.warn({ user: actor, ip: req.ip, why: 'too-many-failures' }, 'login refused');
          core.audit.record({ actor, role: 'none', action: 'auth.login', outcome: 'denied:throttled' });
          reply.header('retry-after', Math.ceil(wait / 1000));
          return reply
            .code(429)
            .send({ error: 'too-many-requests', message: 'too many failed logins from this address; try again later' });
        }
        const check = await users.checkLogin(name, password);
        if (!check.ok) {
          log.warn({ user: actor, ip: req.ip, why: check.why }, 'login refused');
          core.audit.record({ actor, role: 'none', action: 'auth.login', outcome: `denied:${check.why}` });
          return reply.code(401).send({ error: 'unauthorized', message: 'wrong name or password' });
        }
        throttle.recordSuccess(req.ip, name);
        const old = sessionToken(req);
        if (old) sessions.destroy(old); // no session fixation: a login always starts a fresh session
        const { token, session } = sessions.create(check.user.name, check.user.role);
        setCookie(req, reply, token, Math.floor((session.expiresAt - core.now()) / 1000));
        log.info({ user: name, role: session.role, ip: req.ip }, 'login');
        core.audit.record({ actor: name, role: session.role, action: 'auth.login' });
        return { name: session.userName, role: session.role, csrfToken: session.csrf, expiresAt: session.expiresAt };
      },
    );

    r.post('/v1/auth/logout', { schema: { summary: 'End the console session', security: [] } }, async (req, reply) => {
      const s = lookup(req);
      if (s) {
        sessions.destroy(s.token);
        core.audit.record({ actor: s.userName, role: s.role, action: 'auth.logout' });
      }
      setCookie(req, reply, '', 0);
      return reply.code(204).send();
    });

    r.get(
      '/v1/auth/me',
      {
        onRequest: core.auth.require('operator'),
        schema: { summary: 'The logged-in console user and the CSRF token', response: { 200: Me, 401: ErrorReply } },
      },
      async (req, reply) => {
        const s = lookup(req);
        if (!s) return reply.code(401).send({ error: 'unauthorized', message: 'a console session is required' });
        return { name: s.userName, role: s.role, csrfToken: s.csrf, expiresAt: s.expiresAt };
      },
    );
  });
}
