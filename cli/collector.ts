// `gate06 collector -c FILE`: runs the central collector (MQTT ingest, storage, IOC API and dashboard).
// `gate06 collector report ...`: writes a site's daily or monthly report (cli/collector-report.ts).
import { parseArgs } from 'node:util';
import { loadCollectorConfig } from '../collector/config.js';
import { startCollector } from '../collector/main.js';
import { runReport } from './collector-report.js';

const HELP = `Usage: gate06 collector -c FILE
       gate06 collector report -c FILE --site S (--month YYYY-MM | --day YYYY-MM-DD) [--format csv|html] [--out FILE]

Runs the central collector at the IOC: subscribes to the gates' MQTT telemetry, stores counts, status,
health and alarms (SQLite, or PostgreSQL when DATABASE_URL is set), and serves the IOC API (/v1, bearer
token), /metrics (the same token, or from an address in http.metricsOpenTo), /healthz, OpenAPI at
/docs and the dashboard at /.

Options:
  -c, --config FILE   collector YAML (see config/collector.example.yaml)
  -h, --help          this text

Environment: DATABASE_URL (PostgreSQL URL; overrides storage), plus any variable the config names for secrets.`;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'report') return runReport(argv.slice(1));
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.config) {
    console.error(`missing -c FILE\n\n${HELP}`);
    return 2;
  }
  const loaded = loadCollectorConfig(values.config);
  if (!loaded.ok) {
    for (const problem of loaded.problems) console.error(problem);
    return 1;
  }
  let running: Awaited<ReturnType<typeof startCollector>>;
  try {
    running = await startCollector(loaded.value, { defaultMetrics: true });
  } catch (err) {
    console.error(`collector: cannot start: ${(err as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await running.stop();
  return 0;
}
