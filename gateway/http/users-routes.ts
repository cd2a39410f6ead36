// /v1/admin/users: console accounts managed from the console by an admin, as `gate06 user` does on the box.
// Only the admin role, and only in a console session (CSRF-checked): no token manages people. Every change is
// audited; passwords are never echoed, logged or audited.
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { USER_NAME, USER_ROLES, type UserStore } from '../auth/users.js';
import type { GatewayCore } from '../gateway.js';

const ErrorReply = z.object({ error: z.string(), message: z.string() });
const UserView = z.object({
  name: z.string(),
  role: z.enum(USER_ROLES),
  createdAt: z.number(),
  lastLoginAt: z.number().nullable(),
  disabled: z.boolean(),
});
const NameParam = z.object({ name: z.string().regex(USER_NAME) }).strict();
const Password = z.string().min(1).max(256);

export async function registerUserRoutes(app: FastifyInstance, core: GatewayCore, users: UserStore): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = core.auth.requireSession('admin');
  const audit = (req: { principal?: { name: string; role: string } }, action: string, name: string) =>
    core.audit.record({ actor: req.principal!.name, role: req.principal!.role, action, filter: { user: name } });

  r.get(
    '/v1/admin/users',
    {
      onRequest: admin,
      schema: { summary: 'Console accounts (admin)', response: { 200: z.object({ users: z.array(UserView) }) } },
    },
    async () => ({ users: users.list() }),
  );

  r.post(
    '/v1/admin/users',
    {
      onRequest: admin,
      schema: {
        summary: 'Add a console account (admin)',
        body: z.object({ name: z.string().max(64), role: z.enum(USER_ROLES), password: Password }).strict(),
        response: { 201: UserView, 400: ErrorReply },
      },
    },
    async (req, reply) => {
      const added = await users.add(req.body.name, req.body.role, req.body.password);
      if (!added.ok) return reply.code(400).send({ error: 'bad-request', message: added.detail ?? added.reason });
      audit(req, 'user.add', added.value.name);
      return reply.code(201).send(added.value);
    },
  );

  r.post(
    '/v1/admin/users/:name/password',
    {
      onRequest: admin,
      schema: {
        summary: "Set a console account's password; ends its sessions (admin)",
        params: NameParam,
        body: z.object({ password: Password }).strict(),
        response: { 204: z.null(), 400: ErrorReply },
      },
    },
    async (req, reply) => {
      const changed = await users.setPassword(req.params.name, req.body.password);
      if (!changed.ok) return reply.code(400).send({ error: 'bad-request', message: changed.detail ?? changed.reason });
      audit(req, 'user.password', req.params.name);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/v1/admin/users/:name/disabled',
    {
      onRequest: admin,
      schema: {
        summary: 'Disable (ending its sessions) or enable a console account (admin)',
        params: NameParam,
        body: z.object({ disabled: z.boolean() }).strict(),
        response: { 204: z.null(), 404: ErrorReply },
      },
    },
    async (req, reply) => {
      if (!users.setDisabled(req.params.name, req.body.disabled))
        return reply.code(404).send({ error: 'not-found', message: `no user ${req.params.name}` });
      audit(req, req.body.disabled ? 'user.disable' : 'user.enable', req.params.name);
      return reply.code(204).send(null);
    },
  );
}
