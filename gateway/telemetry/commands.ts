// Inbound commands from the IOC on gate06/v1/{site}/{gate}/cmd/{verb}.
//
// A command runs at most once and never late: it needs an `id` and an `expiresAt`; an expired one does
// nothing; a repeated id does nothing (ids are remembered in SQLite until their expiry, so a restart does not
// forget them, and in memory for the life of the process, so a deleted database does not either); retained messages are ignored, because the broker replays those on every subscribe and a
// reconnect must never replay anything (field incident: an old face match re-sent after a reconnect opened a
// door). The id is recorded before the handler runs: a crash mid-handler does not run it again.
//
// Signatures are required (issue #11, finding 1: anyone who could publish to the broker put every lane into
// free passage). The body is a compact JWS (alg EdDSA, Ed25519, `kid` naming a key of the IOC's JWKS) whose
// payload is the command JSON, and whose protected header carries `"topic"` equal to the topic it was
// published on, so a command signed for one gate or verb cannot be replayed on another. Every verb is signed,
// resend and watchlist included (an unsigned resend {since:0} made a gate republish all it kept).
// A gate with no signer configured takes no commands at all (cmd.no-signer); only an explicit
// mqtt.insecureUnsignedCommands makes it obey plain JSON.
//
// A command whose id cannot be recorded (the event log is locked, full, gone) is refused as
// cmd.store-unavailable and its id forgotten, so the IOC can send it again once the store is back (issue #11
// review, finding 7: it used to be dropped with a log line only). The one exception is free passage OFF,
// the safe direction: it is carried out, and the id's record is owed to the store watch's backlog.

import type { KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { verifyCompactJws } from '../../contracts/jws.js';
import { fail, ok, type Result } from '../../contracts/result.js';
import { type CommandTopic, type GatePayload, GateTopics, parseTopic } from '../../contracts/topics.js';
import { LogThrottle } from '../log-throttle.js';
import { classifyStoreError } from '../store/store-errors.js';
import type { CommandIdRepository } from '../store/telemetry-repo.js';
import { TokenBucket } from '../token-bucket.js';
import { SeenCommandIds } from './seen-command-ids.js';

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
  | 'cmd.no-signer'
  | 'cmd.unsigned'
  | 'cmd.bad-signature'
  | 'cmd.expired'
  | 'cmd.expiry-too-far'
  | 'cmd.repeated'
  | 'cmd.store-unavailable'
  | 'cmd.rate-limited'
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

export const COMMAND_VERBS: readonly CommandVerb[] = ['free-passage', 'resend', 'watchlist'];

/**
 * How this gate treats command signatures: `signed` needs a JWS by a key of the IOC's JWKS; `disabled` (no
 * signer configured) refuses every command; `insecure-unsigned` obeys plain JSON (explicit opt-in only).
 */
export type CommandSigning =
  /** The IOC signer's keys by kid, asked for each command (re-read when the JWKS file changes). */
  { mode: 'signed'; keys: () => ReadonlyMap<string, KeyObject> } | { mode: 'insecure-unsigned' } | { mode: 'disabled' };

/** Commands per minute per verb; the defaults live in the config schema (mqtt.commandRateLimits). */
export type CommandRateLimits = Record<CommandVerb, number>;

export interface CommandInboxOptions {
  /** Ids of commands already carried out (tel_cmd_seen). */
  commandIds: CommandIdRepository;
  site: string;
  gate: string;
  handlers: CommandHandlers;
  logger: Logger;
  now?: () => number;
  /** Monotonic ms for the rate budgets (default performance.now). */
  mono?: () => number;
  signing: CommandSigning;
  rateLimits: CommandRateLimits;
  /** Hears each command refused, by its fixed reason code. */
  onRefused?: (reason: CommandRejection) => void;
  /**
   * Runs the id table's reads and writes (the event store's transaction, which fails fast during a known
   * outage and reports a new one to the store watch). Default: directly on the repository.
   */
  transaction?: <T>(fn: () => T) => T;
  /**
   * Owes the log a write until the store is back (StoreWatch.writeOrOwe). Without it a free passage OFF
   * whose id cannot be recorded is refused like any other command.
   */
  owe?: (what: string, run: () => void) => void;
}

export class CommandInbox {
  readonly counts: Record<CommandRejection | 'accepted', number> = {
    accepted: 0,
    'cmd.retained': 0,
    'cmd.wrong-topic': 0,
    'cmd.too-large': 0,
    'cmd.not-json': 0,
    'cmd.invalid': 0,
    'cmd.no-signer': 0,
    'cmd.unsigned': 0,
    'cmd.bad-signature': 0,
    'cmd.expired': 0,
    'cmd.expiry-too-far': 0,
    'cmd.repeated': 0,
    'cmd.store-unavailable': 0,
    'cmd.rate-limited': 0,
    'cmd.refused': 0,
    'cmd.handler-failed': 0,
  };
  private readonly now: () => number;
  private readonly budgets: Record<CommandVerb, TokenBucket>;
  private readonly seen = new SeenCommandIds();
  /**
   * One refusal line per reason a minute, with the count not logged since: a forged-command flood wrote a warn
   * line per message (2,000 in 1.5 s), enough to fill a box's log partition and bury everything else. The
   * counters stay exact; only the log is sampled.
   */
  private readonly refusalLog: LogThrottle;
  private readonly inTransaction: <T>(fn: () => T) => T;

  constructor(private readonly opts: CommandInboxOptions) {
    this.now = opts.now ?? Date.now;
    const mono = opts.mono ?? (() => performance.now());
    this.refusalLog = new LogThrottle({ everyMs: 60_000, monotonicNow: mono });
    this.inTransaction = opts.transaction ?? ((fn) => fn());
    this.budgets = {
      // A handful of commands a day is normal; a flood of validly signed ones means a leaked key or a runaway
      // script, and each free-passage command writes an event and flips a lane. A minute's worth at once lets an
      // evacuation switch every lane together.
      'free-passage': new TokenBucket(opts.rateLimits['free-passage'], 60_000, mono),
      resend: new TokenBucket(opts.rateLimits.resend, 60_000, mono),
      watchlist: new TokenBucket(opts.rateLimits.watchlist, 60_000, mono),
    };
  }

  /** How signatures are treated here, for logs and health. */
  get signingMode(): CommandSigning['mode'] {
    return this.opts.signing.mode;
  }

  /** After a re-open (a new, empty file) writes back the ids still remembered; the table is the repository's. */
  init(): void {
    const remembered = this.seen.current(this.now());
    if (remembered.length === 0) return;
    this.opts.commandIds.rememberAll(remembered);
  }

  /** The subscription this inbox serves. */
  subscription(): string {
    return `gate06/v1/${this.opts.site}/${this.opts.gate}/cmd/+`;
  }

  /** Handles one inbound message; never throws. */
  async receive(topic: string, body: Buffer, retained: boolean): Promise<CommandOutcome> {
    let outcome: CommandOutcome;
    try {
      outcome = await this.evaluate(topic, body, retained);
    } catch (err) {
      // Only the id table can throw in evaluate (the handler's errors are caught there); a store fault that
      // was not classified above, or a bug: refused, never run, never thrown at the MQTT client.
      this.opts.logger.error({ err: (err as Error)?.message }, 'command not evaluated');
      outcome = { ok: false, reason: classifyStoreError(err) ? 'cmd.store-unavailable' : 'cmd.handler-failed' };
    }
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
      const notLogged = this.refusalLog.pass(outcome.reason);
      if (notLogged !== null)
        this.opts.logger.warn(notLogged > 0 ? { ...log, notLoggedSinceLast: notLogged } : log, 'command ignored');
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
    // Refused before its body is read: with no signer there is nothing this gate could accept.
    if (this.opts.signing.mode === 'disabled') return { ok: false, reason: 'cmd.no-signer', verb };
    if (body.length > MAX_COMMAND_BYTES) return { ok: false, reason: 'cmd.too-large', verb };

    const decoded = this.decode(topic, body);
    if (!decoded.ok) return { ok: false, reason: decoded.reason, verb };
    let json: unknown;
    try {
      json = JSON.parse(decoded.value);
    } catch {
      return { ok: false, reason: 'cmd.not-json', verb };
    }
    const result = GateTopics[`cmd/${verb}`].safeParse(json);
    if (!result.success) return { ok: false, reason: 'cmd.invalid', verb };
    const cmd = result.data;

    const now = this.now();
    if (cmd.expiresAt <= now) return { ok: false, reason: 'cmd.expired', verb, id: cmd.id };
    if (cmd.expiresAt > now + MAX_COMMAND_TTL_MS) return { ok: false, reason: 'cmd.expiry-too-far', verb, id: cmd.id };
    if (this.seen.has(cmd.id, now)) return { ok: false, reason: 'cmd.repeated', verb, id: cmd.id };
    // Turning free passage off (towards locked) is the one command worth carrying out unrecorded.
    const safeDirection = verb === 'free-passage' && (cmd as Command<'free-passage'>).on === false;
    let recorded = this.storeTry(() => this.known(cmd.id, now));
    if (recorded.ok && recorded.value) return { ok: false, reason: 'cmd.repeated', verb, id: cmd.id };
    if (!recorded.ok && !(safeDirection && this.opts.owe))
      return { ok: false, reason: 'cmd.store-unavailable', verb, id: cmd.id };
    // The budget is spent only here, by a command that is signed, valid, current and new. Were it checked
    // before the signature, a flood of unsigned or forged messages from anyone on the broker would use up the
    // honest IOC's budget and lock it out; before the id check, one captured signed command replayed in a loop
    // would. A rate-limited id is not remembered, so the IOC may send the same command again later.
    if (!this.budgets[verb].take()) return { ok: false, reason: 'cmd.rate-limited', verb, id: cmd.id };
    // No await since known(): nothing else ran in between, so the insert cannot find the id there.
    if (recorded.ok) {
      recorded = this.storeTry(() => this.remember(cmd.id, cmd.expiresAt));
      if (recorded.ok && !recorded.value) return { ok: false, reason: 'cmd.repeated', verb, id: cmd.id };
      if (!recorded.ok && !(safeDirection && this.opts.owe))
        return { ok: false, reason: 'cmd.store-unavailable', verb, id: cmd.id };
    }
    if (!recorded.ok) {
      this.opts.logger.warn(
        { verb, cmdId: cmd.id, problem: recorded.detail },
        'free passage OFF carried out while the event log cannot be written; its record is owed',
      );
      this.opts.owe?.('command-id', () => void this.remember(cmd.id, cmd.expiresAt));
    }
    this.seen.add(cmd.id, cmd.expiresAt, now);

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

  /** The command JSON text of a body: the payload of a verified JWS, or the body itself when unsigned is allowed. */
  private decode(topic: string, body: Buffer): Result<string, CommandRejection> {
    const text = body.toString('utf8');
    const signing = this.opts.signing;
    if (signing.mode === 'insecure-unsigned') return ok(text);
    if (signing.mode === 'disabled') return fail('cmd.no-signer');
    // The topic binding: a command signed for one gate or verb is refused on any other.
    const verified = verifyCompactJws(text, { keys: signing.keys(), header: { topic } });
    if (verified.ok) return ok(verified.value.payload.toString('utf8'));
    // Not a JWS at all is "unsigned"; a JWS that does not hold (alg, key, topic, signature) is "bad-signature".
    return fail(verified.reason === 'jws.not-compact' ? 'cmd.unsigned' : 'cmd.bad-signature', verified.detail);
  }

  /**
   * Runs fn on the id table; a store fault (locked, full, gone) comes back as a value whose detail is the
   * store's classification of it, anything else throws.
   */
  private storeTry<T>(fn: () => T): Result<T, 'cmd.store-unavailable'> {
    try {
      return ok(this.inTransaction(fn));
    } catch (err) {
      const problem = classifyStoreError(err);
      if (problem === null) throw err;
      return fail('cmd.store-unavailable', problem);
    }
  }

  /** True when the id is in the table. Expired ids are forgotten here, so the table stays small. */
  private known(id: string, now: number): boolean {
    this.opts.commandIds.forgetExpired(now);
    return this.opts.commandIds.known(id);
  }

  /** Records the id; false if it is already known. */
  private remember(id: string, expiresAt: number): boolean {
    return this.opts.commandIds.remember(id, expiresAt);
  }
}
