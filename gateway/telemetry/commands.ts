// Inbound commands from the IOC on gate06/v1/{site}/{gate}/cmd/{verb}.
//
// A command runs at most once and never late: it needs an `id` and an `expiresAt`; an expired one does
// nothing; a repeated id does nothing (ids are remembered in SQLite until their expiry, so a restart does not
// forget them); retained messages are ignored, because the broker replays those on every subscribe and a
// reconnect must never replay anything (field incident: an old face match re-sent after a reconnect opened a
// door). The id is recorded before the handler runs: a crash mid-handler does not run it again.
//
// Signatures (optional, when mqtt.commandSignerJwksFile is set): the message body is then a compact JWS
// (alg EdDSA, Ed25519, `kid` naming a key of that JWKS) whose payload is the command JSON, and whose protected
// header carries `"topic"` equal to the topic it was published on, so a command signed for one gate or verb
// cannot be replayed on another. Unsigned bodies are refused while a signer is configured.

import type { Database } from 'better-sqlite3';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import { type CommandTopic, type GatePayload, GateTopics, parseTopic } from './topics.js';

export type CommandVerb = CommandTopic extends `cmd/${infer V}` ? V : never;
export type Command<V extends CommandVerb> = GatePayload<`cmd/${V}`>;
export type CommandHandlers = { [V in CommandVerb]: (cmd: Command<V>) => void | Promise<void> };

/** Closed set of outcomes, logged and counted. */
export type CommandRejection =
  | 'cmd.retained'
  | 'cmd.wrong-topic'
  | 'cmd.too-large'
  | 'cmd.not-json'
  | 'cmd.invalid'
  | 'cmd.unsigned'
  | 'cmd.bad-signature'
  | 'cmd.expired'
  | 'cmd.expiry-too-far'
  | 'cmd.repeated'
  | 'cmd.refused'
  | 'cmd.handler-failed';
export type CommandOutcome =
  | { ok: true; verb: CommandVerb; id: string }
  | { ok: false; reason: CommandRejection; verb?: CommandVerb; id?: string };

/**
 * Thrown by a handler that understood a valid command and will not carry it out (a lane this gate does not
 * have, a watchlist that does not verify): the sender's fault, so the outcome is cmd.refused, not accepted.
 */
export class CommandRefused extends Error {
  override readonly name = 'CommandRefused';
}

/** The watchlist JWS is the largest legitimate body (4 MiB in the topic map); anything past this is refused unread. */
export const MAX_COMMAND_BYTES = 4 * 1024 * 1024 + 64 * 1024;
/** Remembering ids until expiry bounds the table only if expiry is bounded too. */
export const MAX_COMMAND_TTL_MS = 24 * 3600 * 1000;

const COMMAND_VERBS: readonly CommandVerb[] = ['free-passage', 'resend', 'watchlist'];

export interface CommandInboxOptions {
  db: Database;
  site: string;
  gate: string;
  handlers: CommandHandlers;
  logger: Logger;
  now?: () => number;
  /** The parsed JWKS of the IOC's command signer; commands must be signed when given. */
  signerJwks?: JSONWebKeySet;
  /** Hears each command refused, by its fixed reason code. */
  onRefused?: (reason: CommandRejection) => void;
}

type Decoded = { ok: true; json: string } | { ok: false; reason: CommandRejection };

export class CommandInbox {
  readonly counts: Record<CommandRejection | 'accepted', number> = {
    accepted: 0,
    'cmd.retained': 0,
    'cmd.wrong-topic': 0,
    'cmd.too-large': 0,
    'cmd.not-json': 0,
    'cmd.invalid': 0,
    'cmd.unsigned': 0,
    'cmd.bad-signature': 0,
    'cmd.expired': 0,
    'cmd.expiry-too-far': 0,
    'cmd.repeated': 0,
    'cmd.refused': 0,
    'cmd.handler-failed': 0,
  };
  private readonly now: () => number;
  private readonly keys: ReturnType<typeof createLocalJWKSet> | null;

  constructor(private readonly opts: CommandInboxOptions) {
    this.now = opts.now ?? Date.now;
    this.keys = opts.signerJwks ? createLocalJWKSet(opts.signerJwks) : null;
  }

  init(): void {
    this.opts.db.exec(`
      CREATE TABLE IF NOT EXISTS tel_cmd_seen (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS tel_cmd_seen_expiry ON tel_cmd_seen (expires_at);
    `);
  }

  /** The subscription this inbox serves. */
  subscription(): string {
    return `gate06/v1/${this.opts.site}/${this.opts.gate}/cmd/+`;
  }

  /** Handles one inbound message; never throws. */
  async receive(topic: string, body: Buffer, retained: boolean): Promise<CommandOutcome> {
    const outcome = await this.evaluate(topic, body, retained);
    this.counts[outcome.ok ? 'accepted' : outcome.reason] += 1;
    // Log the verdict and the id only: a command body may hold a watchlist.
    // The topic's last level too: a probe on cmd/open-door should show what it tried (bounded, it is outside input).
    const log = {
      verb: outcome.verb ?? topic.split('/').pop()?.slice(0, 40),
      cmdId: outcome.id,
      outcome: outcome.ok ? 'accepted' : outcome.reason,
      ...(retained ? { retained } : {}),
    };
    if (outcome.ok) this.opts.logger.info(log, 'command accepted');
    else {
      this.opts.logger.warn(log, 'command ignored');
      // A handler that failed is our fault, not the sender's: not counted as refused input.
      if (outcome.reason !== 'cmd.handler-failed') this.opts.onRefused?.(outcome.reason);
    }
    return outcome;
  }

  private async evaluate(topic: string, body: Buffer, retained: boolean): Promise<CommandOutcome> {
    if (retained) return { ok: false, reason: 'cmd.retained' };
    const parsed = parseTopic(topic);
    if (
      !parsed ||
      parsed.site !== this.opts.site ||
      parsed.gate !== this.opts.gate ||
      !parsed.suffix.startsWith('cmd/')
    ) {
      return { ok: false, reason: 'cmd.wrong-topic' };
    }
    const verb = parsed.suffix.slice(4) as CommandVerb;
    if (!COMMAND_VERBS.includes(verb)) return { ok: false, reason: 'cmd.wrong-topic' };
    if (body.length > MAX_COMMAND_BYTES) return { ok: false, reason: 'cmd.too-large', verb };

    const decoded = await this.decode(topic, body);
    if (!decoded.ok) return { ok: false, reason: decoded.reason, verb };
    let json: unknown;
    try {
      json = JSON.parse(decoded.json);
    } catch {
      return { ok: false, reason: 'cmd.not-json', verb };
    }
    const result = GateTopics[`cmd/${verb}`].safeParse(json);
    if (!result.success) return { ok: false, reason: 'cmd.invalid', verb };
    const cmd = result.data;

    const now = this.now();
    if (cmd.expiresAt <= now) return { ok: false, reason: 'cmd.expired', verb, id: cmd.id };
    if (cmd.expiresAt > now + MAX_COMMAND_TTL_MS) return { ok: false, reason: 'cmd.expiry-too-far', verb, id: cmd.id };
    if (!this.remember(cmd.id, cmd.expiresAt, now)) return { ok: false, reason: 'cmd.repeated', verb, id: cmd.id };

    try {
      await (this.opts.handlers[verb] as (c: typeof cmd) => void | Promise<void>)(cmd);
    } catch (err) {
      if (err instanceof CommandRefused) {
        this.opts.logger.warn({ verb, cmdId: cmd.id, why: err.message }, 'command refused by its handler');
        return { ok: false, reason: 'cmd.refused', verb, id: cmd.id };
      }
      this.opts.logger.error({ verb, cmdId: cmd.id, err: (err as Error)?.message }, 'command handler failed');
      return { ok: false, reason: 'cmd.handler-failed', verb, id: cmd.id };
    }
    return { ok: true, verb, id: cmd.id };
  }

  private async decode(topic: string, body: Buffer): Promise<Decoded> {
    const text = body.toString('utf8');
    if (!this.keys) return { ok: true, json: text };
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) return { ok: false, reason: 'cmd.unsigned' };
    try {
      const { payload, protectedHeader } = await compactVerify(text, this.keys, { algorithms: ['EdDSA', 'Ed25519'] });
      if (protectedHeader.topic !== topic) return { ok: false, reason: 'cmd.bad-signature' };
      return { ok: true, json: new TextDecoder().decode(payload) };
    } catch {
      return { ok: false, reason: 'cmd.bad-signature' };
    }
  }

  /** Records the id; false if it is already known. Expired ids are forgotten here, so the table stays small. */
  private remember(id: string, expiresAt: number, now: number): boolean {
    const db = this.opts.db;
    return db
      .transaction(() => {
        db.prepare('DELETE FROM tel_cmd_seen WHERE expires_at < ?').run(now);
        return (
          db.prepare('INSERT OR IGNORE INTO tel_cmd_seen (id, expires_at) VALUES (?, ?)').run(id, expiresAt).changes ===
          1
        );
      })
      .immediate();
  }
}
