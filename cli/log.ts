// gate06 log verify -c FILE: walks the event log's hash chain and reports the first tampered event.
import { parseArgs } from 'node:util';
import { EventStore } from '../gateway/store/event-store.js';
import { loadConfigOrReport } from './load-config.js';

const HELP = `usage: gate06 log verify (-c CONFIG | --db FILE)

Checks the hash chain over the gateway's event log. Exit 0 when intact, 1 when an event was edited,
removed or reordered (the first broken event is printed), 2 on usage errors.

A log whose file was deleted or replaced while the gateway ran starts a new segment: its first event is
a system event 'log-lost' (a new empty file, chained from the genesis) or 'log-replaced' (chained on the
file found at the path). Such a log verifies; "restarts" lists where each segment began, so the loss shows.`;

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'verify') {
    console.log(HELP);
    return verb === '--help' || verb === '-h' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let path = values.db;
  if (!path && values.config) {
    const config = loadConfigOrReport(values.config);
    if (!config) return 2;
    path = config.store.path;
  }
  if (!path) {
    console.error('gate06 log verify: -c CONFIG or --db FILE is required');
    return 2;
  }
  const store = new EventStore({ path });
  try {
    const result = store.verifyChain();
    const restarts = store
      .query({ type: 'system', limit: 1000 })
      .filter((e) => e.facts.action === 'log-lost' || e.facts.action === 'log-replaced')
      .map((e) => ({ seq: e.seq, ts: e.ts, action: e.facts.action, bootId: e.bootId }))
      .reverse();
    console.log(JSON.stringify({ ...result, anchor: store.chainAnchor(), restarts }));
    return result.ok ? 0 : 1;
  } finally {
    store.closeWithoutCheckpoint();
  }
}
