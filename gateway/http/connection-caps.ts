// Connection slots per source address. The global cap (http.maxConnections) alone lets one host on the LAN
// take every slot with half-sent requests and lock the readers and the console out of HTTP; counting open
// connections per remote address at accept time bounds what any one source can hold.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { LogThrottle } from '../log-throttle.js';

export interface SourceCapOptions {
  /** Open connections at once from one remote address; more are destroyed on accept. */
  perSource: number;
  /** The server's global cap (http.maxConnections), for the reserve below. */
  maxConnections: number;
  log: Logger;
  /** Hears each refused connection (for gate06_rejected_input_total). */
  onRefused?: (error: string) => void;
}

/** A source refused again is logged at most this often, with the number refused since its last line. */
const REFUSAL_LOG_EVERY_MS = 60_000;
/** Sources remembered for the log throttle; beyond this the oldest lines are forgotten (many IPv6 sources). */
const REFUSAL_LOG_SOURCES = 1024;
/**
 * The last eighth of the global slots is kept for sources holding fewer than this many connections: a reader
 * keeps one, a console browser a few. So two or three sources at their per-source cap cannot fill the server.
 */
const SMALL_SOURCE_CONNECTIONS = 4;

export const REFUSED_PER_SOURCE = 'too-many-connections-from-source';

/**
 * Counts open connections per remote address and destroys, before the HTTP parser sees a byte, a new one from
 * a source already at `perSource`, or from a busy source once the server is into its reserved slots.
 * Returns the live count per address (for tests and health).
 */
export function capConnectionsPerSource(server: Server, opts: SourceCapOptions): ReadonlyMap<string, number> {
  const open = new Map<string, number>();
  const refusalLines = new LogThrottle({ everyMs: REFUSAL_LOG_EVERY_MS, maxKeys: REFUSAL_LOG_SOURCES });
  const reserved = Math.floor(opts.maxConnections / 8);
  let total = 0;

  const refuse = (socket: Socket, source: string, why: 'per-source' | 'reserved', held: number): void => {
    socket.destroy();
    opts.onRefused?.(REFUSED_PER_SOURCE);
    const heldBack = refusalLines.pass(source);
    if (heldBack === null) return;
    // The address of a LAN host is not personal data here: it is a reader, a console PC or an attacker.
    opts.log.warn(
      { ip: source, held, perSource: opts.perSource, reason: why, refusedSinceLastLine: heldBack },
      'connection refused: too many open from this source',
    );
  };

  // Prepended so the refused socket is gone before the HTTP server attaches a parser to it.
  server.prependListener('connection', (socket: Socket) => {
    const source = socket.remoteAddress;
    if (source === undefined) {
      // Already closed by the peer between accept and here; nothing to count.
      socket.destroy();
      return;
    }
    const held = open.get(source) ?? 0;
    if (held >= opts.perSource) return refuse(socket, source, 'per-source', held);
    if (reserved > 0 && total >= opts.maxConnections - reserved && held >= SMALL_SOURCE_CONNECTIONS) {
      return refuse(socket, source, 'reserved', held);
    }
    open.set(source, held + 1);
    total++;
    socket.once('close', () => {
      total--;
      const left = (open.get(source) ?? 1) - 1;
      if (left > 0) open.set(source, left);
      else open.delete(source);
    });
  });
  return open;
}
