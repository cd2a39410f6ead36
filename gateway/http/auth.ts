// Who is calling: bearer tokens for devices (readers, handhelds) and staff integrations, kept apart so a
// leaked device token cannot read the log. Sessions for people (console) plug in through `resolvers`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, preValidationHookHandler } from 'fastify';

export type Role = 'device' | 'operator' | 'security' | 'admin';
export interface Principal {
  kind: 'token' | 'session';
  role: Role;
  /** Who, for the audit log: a token label or a user name. */
  name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Roles each role includes: an admin can do what security can, security what an operator can. */
const INCLUDES: Record<Role, Role[]> = {
  device: ['device'],
  operator: ['operator'],
  security: ['security', 'operator'],
  admin: ['admin', 'security', 'operator'],
};
export const hasRole = (p: Principal | undefined, role: Role): boolean => Boolean(p && INCLUDES[p.role].includes(role));

const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

export type PrincipalResolver = (req: FastifyRequest) => Principal | null | Promise<Principal | null>;

export class Authenticator {
  private readonly tokens: Array<{ digest: Buffer; principal: Principal }> = [];
  private readonly resolvers: PrincipalResolver[] = [];
  onDenied: (req: FastifyRequest, why: string) => void = () => {};

  addToken(secret: Buffer, principal: Principal): void {
    this.tokens.push({ digest: digest(secret), principal });
  }

  addResolver(r: PrincipalResolver): void {
    this.resolvers.push(r);
  }

  async identify(req: FastifyRequest): Promise<Principal | null> {
    const bearer = this.bearer(req);
    if (bearer !== undefined) return bearer;
    for (const r of this.resolvers) {
      const p = await r(req);
      if (p) return p;
    }
    return null;
  }

  /** The device or staff token in the Authorization header: undefined when there is none to check. */
  private bearer(req: FastifyRequest): Principal | null | undefined {
    const header = req.headers.authorization;
    // The scheme name is case-insensitive (RFC 9110 §11.1): "bearer x" is the same credential.
    if (!header || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
    const d = digest(header.slice(7).trim());
    // Compare digests in constant time so the token cannot be guessed byte by byte.
    for (const t of this.tokens) if (timingSafeEqual(d, t.digest)) return t.principal;
    return null;
  }

  /**
   * preValidation: 401 without a valid credential, 403 with one that lacks the role; both logged. Callback
   * style, so a bearer token (every device request) is settled without a promise per request.
   */
  require(...roles: Role[]): preValidationHookHandler {
    return (req, reply, done) => {
      const settle = (p: Principal | null): void => {
        if (!p) {
          this.onDenied(req, 'unauthenticated');
          reply
            .code(401)
            .header('www-authenticate', 'Bearer realm="gate06"')
            .send({ error: 'unauthorized', message: 'a valid bearer token or session is required' });
          return;
        }
        req.principal = p;
        if (!roles.some((r) => hasRole(p, r))) {
          this.onDenied(req, `role ${p.role} lacks ${roles.join('|')}`);
          reply.code(403).send({ error: 'forbidden', message: `requires role ${roles.join(' or ')}` });
          return;
        }
        done();
      };
      const known = req.principal ?? this.bearer(req);
      if (known !== undefined) settle(known);
      else this.identify(req).then(settle, done);
    };
  }
}
