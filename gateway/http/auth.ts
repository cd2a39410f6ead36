// Who is calling: bearer tokens for devices (readers, handhelds) and staff integrations, kept apart so a
// leaked device token cannot read the log. Sessions for people (console) plug in through `resolvers`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';

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
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const d = digest(header.slice(7).trim());
      // Compare digests in constant time so the token cannot be guessed byte by byte.
      for (const t of this.tokens) if (timingSafeEqual(d, t.digest)) return t.principal;
      return null;
    }
    for (const r of this.resolvers) {
      const p = await r(req);
      if (p) return p;
    }
    return null;
  }

  /** preHandler: 401 without a valid credential, 403 with one that lacks the role; both logged. */
  require(...roles: Role[]): preHandlerHookHandler {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const p = req.principal ?? (await this.identify(req));
      if (!p) {
        this.onDenied(req, 'unauthenticated');
        return reply.code(401).send({ error: 'unauthorized', message: 'a valid bearer token or session is required' });
      }
      req.principal = p;
      if (!roles.some((r) => hasRole(p, r))) {
        this.onDenied(req, `role ${p.role} lacks ${roles.join('|')}`);
        return reply.code(403).send({ error: 'forbidden', message: `requires role ${roles.join(' or ')}` });
      }
    };
  }
}
