// What the IOC's commands do on this gate, once gateway/telemetry/commands.ts has checked their signature,
// freshness, replay and rate. A valid command that names a lane the gate does not have, or brings a watchlist
// that does not verify, is refused (cmd.refused), never reported as carried out.
import type { Logger } from 'pino';
import { type CommandHandlers, CommandRefused } from './telemetry/commands.js';
import type { Watchlist } from './watchlist.js';

export interface CommandTargets {
  /** The gate's free passage switch (logged before a lane opens); false when the gate has no such lane. */
  setFreePassage(lane: string, on: boolean, by: string, reason: string): boolean;
  /** Queues the kept count windows that started at or after `since` again; returns how many. */
  resendCountsSince(since: number): number;
  /** The watchlist this gate checks, when it has a signer for one (watchlist.signerJwksFile). */
  watchlist?: Pick<Watchlist, 'load'>;
  logger: Pick<Logger, 'info'>;
}

export function iocCommandHandlers(gate: CommandTargets): CommandHandlers {
  return {
    'free-passage': (cmd) => {
      if (!gate.setFreePassage(cmd.lane, cmd.on, 'ioc-command', cmd.reason))
        throw new CommandRefused(`no lane ${cmd.lane} on this gate`);
    },
    resend: (cmd) => {
      gate.resendCountsSince(cmd.since);
    },
    watchlist: (cmd) => {
      if (!gate.watchlist) throw new CommandRefused('no watchlist.signerJwksFile configured on this gate');
      const r = gate.watchlist.load(cmd.jws);
      if (!r.ok) throw new CommandRefused(`watchlist not loaded: ${r.reason}`);
      gate.logger.info({ version: r.version, entries: r.entries }, 'watchlist updated by the IOC');
    },
  };
}
