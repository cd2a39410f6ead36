// The operator's API behind the console: the lanes as they are now, recent decisions, alarms with
// acknowledge, a manual open with a required reason, free-passage mode and today's counts.
// Operators see masked IDs only; nothing here returns or logs a raw ID or a name.
// What moves a lane or settles an alarm needs a person's console session (CSRF-checked in session-auth.ts):
// no bearer token, whatever it is for, can open a lane (issue #11, finding 7).
import type { ZodTypeProvider } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LaneId } from '../config/schema.js';
import { countsSince, startOfLocalDay } from '../console/today-counts.js';
import type { DecisionRecord } from '../events.js';
import type { GatewayCore } from '../gateway.js';
import type { StoredEvent } from '../store/types.js';

const ErrorReply = z.object({ error: z.string(), message: z.string() });
const LaneParam = z.object({ lane: LaneId }).strict();
/** A reason someone else can understand later: at least a few words' worth, bounded. */
const Reason = z.string().trim().min(3).max(200);

/** What an operator sees of a decision: no hash, no ticket id, only the facts useful at the lane. */
export interface DecisionView {
  eventId: string;
  ts: number;
  lane: string;
  direction: string;
  credential: string;
  decision: string;
  reason: string;
  idMasked: string | null;
  faceScore: number | null;
  latencyMs: number | null;
}

const faceScoreOf = (facts: Record<string, string | number | boolean>): number | null => {
  const v = facts.faceScore ?? facts.faceSimilarity;
  return typeof v === 'number' ? v : null;
};

export const decisionView = (d: DecisionRecord | StoredEvent): DecisionView => ({
  eventId: 'eventId' in d ? d.eventId : d.id,
  ts: d.ts,
  lane: d.lane ?? '',
  direction: d.direction ?? '',
  credential: d.credential ?? '',
  decision: d.decision ?? '',
  reason: d.reason ?? '',
  idMasked: d.idMasked,
  faceScore: faceScoreOf(d.facts),
  latencyMs: d.latencyMs,
});

export function todayCounts(core: GatewayCore) {
  const from = startOfLocalDay(core.now(), core.config.site.timezone);
  return { from, lanes: countsSince(core.store, from, [...core.lanes.keys()]) };
}

export async function registerConsoleRoutes(app: FastifyInstance, core: GatewayCore): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const operator = core.auth.require('operator');
  const operatorAtConsole = core.auth.requireSession('operator');

  r.get(
    '/v1/console/state',
    { onRequest: operator, schema: { summary: "Lanes, recent decisions, alarms and today's counts (operator)" } },
    async () => ({
      site: { id: core.config.site.id, name: core.config.site.name },
      gate: core.config.gate.id,
      lanes: [...core.lanes.values()].map((l) => l.snapshot()),
      recent: core.store.query({ type: 'decision', limit: 30 }).map(decisionView),
      alarms: core.alarms.list().slice(0, 100),
      counts: todayCounts(core),
    }),
  );

  r.get(
    '/v1/console/counts',
    { onRequest: operator, schema: { summary: "Today's counts per lane, from local midnight (operator)" } },
    async () => todayCounts(core),
  );

  r.post(
    '/v1/console/alarms/:id/ack',
    {
      onRequest: operatorAtConsole,
      schema: {
        summary: 'Acknowledge an alarm (operator)',
        params: z.object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/) }).strict(),
        response: { 200: z.object({ ok: z.literal(true) }), 404: ErrorReply },
      },
    },
    async (req, reply) => {
      const by = req.principal!.name;
      if (!core.alarms.acknowledge(req.params.id, by))
        return reply.code(404).send({ error: 'not-found', message: 'no active, unacknowledged alarm with this id' });
      core.audit.record({
        actor: by,
        role: req.principal!.role,
        action: 'alarm.acknowledge',
        filter: { alarmId: req.params.id },
      });
      return { ok: true as const };
    },
  );

  r.post(
    '/v1/console/lanes/:lane/open',
    {
      onRequest: operatorAtConsole,
      schema: {
        summary: 'Open a lane once by hand; the reason is required and logged (operator)',
        params: LaneParam,
        body: z.object({ direction: z.enum(['in', 'out']), reason: Reason }).strict(),
        response: { 200: z.object({ eventId: z.string() }), 404: ErrorReply },
      },
    },
    async (req, reply) => {
      const lane = core.lanes.get(req.params.lane);
      if (!lane) return reply.code(404).send({ error: 'not-found', message: `no lane ${req.params.lane}` });
      const by = req.principal!.name;
      const { direction, reason } = req.body;
      // The reason is committed with the event before the lane moves, as every decision is.
      const ev = core.store.append({
        type: 'manual-open',
        lane: lane.id,
        direction,
        credential: null,
        decision: 'allow',
        reason: 'ok.manual-open',
        idHash: null,
        idMasked: null,
        latencyMs: null,
        refId: null,
        facts: { by, why: reason },
      });
      lane.grant(direction, ev.id, 'manual', { passageFacts: { via: 'manual' }, undo: null });
      core.audit.record({
        actor: by,
        role: req.principal!.role,
        action: 'lane.manual-open',
        filter: { lane: lane.id, direction, eventId: ev.id },
      });
      core.logger.info({ channel: 'console', lane: lane.id, direction, by, eventId: ev.id }, 'manual open');
      return { eventId: ev.id };
    },
  );

  r.post(
    '/v1/console/lanes/:lane/free-passage',
    {
      onRequest: operatorAtConsole,
      schema: {
        summary: "Switch a lane's free-passage mode on or off; the reason is logged (operator)",
        params: LaneParam,
        body: z.object({ on: z.boolean(), reason: Reason }).strict(),
        response: { 200: z.object({ ok: z.literal(true) }), 404: ErrorReply },
      },
    },
    async (req, reply) => {
      const by = req.principal!.name;
      if (!core.setFreePassage(req.params.lane, req.body.on, by, req.body.reason))
        return reply.code(404).send({ error: 'not-found', message: `no lane ${req.params.lane}` });
      core.audit.record({
        actor: by,
        role: req.principal!.role,
        action: 'lane.free-passage',
        filter: { lane: req.params.lane, on: req.body.on },
      });
      return { ok: true as const };
    },
  );
}
