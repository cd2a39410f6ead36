// `gate06 collector report`: a site's monthly (one row per day) or daily (one row per hour) report from the
// collector's store, as CSV for a spreadsheet or a printable HTML page, for a department.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildSiteReport, type ReportPeriod, reportCsv, reportHtml } from '../collector/analytics/report.js';
import { chooseStorage, loadCollectorConfig } from '../collector/config.js';
import { openStore } from '../collector/storage/open.js';

const HELP = `Usage: gate06 collector report -c FILE --site S (--month YYYY-MM | --day YYYY-MM-DD) [options]

Writes a site's report from the collector's store (SQLite, or PostgreSQL when DATABASE_URL is set): passages
in and out, domestic / foreign, age bands and sex (small cells withheld), peak hours and alarms by kind.
A month has one row per day, a day one row per hour, in Vietnam time (utcOffsetMinutes).

Options:
  -c, --config FILE    collector YAML (the same file the collector runs with)
  --site S             site id
  --month YYYY-MM      a monthly report
  --day YYYY-MM-DD     a daily report
  --format csv|html    CSV (default) or a printable HTML page (print to PDF from a browser)
  --out FILE           write here instead of standard output
  -h, --help           this text`;

/** The dashboard's words for alarm kinds (Vietnamese · English); the code itself if the table is missing. */
async function alarmWords(): Promise<(kind: string) => string> {
  try {
    const words = (await import(new URL('../collector/dashboard/words.js', import.meta.url).href)) as {
      alarmInWords: (kind: string) => string;
    };
    return words.alarmInWords;
  } catch {
    return (kind) => kind;
  }
}

export async function runReport(argv: string[]): Promise<number> {
  let values: {
    config?: string;
    site?: string;
    month?: string;
    day?: string;
    format?: string;
    out?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        site: { type: 'string' },
        month: { type: 'string' },
        day: { type: 'string' },
        format: { type: 'string', default: 'csv' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
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
  const problems = [
    !values.config && 'missing -c FILE',
    !values.site && 'missing --site S',
    !values.month === !values.day && 'give one of --month YYYY-MM or --day YYYY-MM-DD',
    values.format !== 'csv' && values.format !== 'html' && '--format is csv or html',
  ].filter(Boolean);
  if (problems.length) {
    console.error(`${problems.join('\n')}\n\n${HELP}`);
    return 2;
  }
  const loaded = loadCollectorConfig(values.config!);
  if (!loaded.ok) {
    for (const e of loaded.problems) console.error(e);
    return 1;
  }
  const cfg = loaded.value;
  const period: ReportPeriod = values.month ? { month: values.month } : { day: values.day! };
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(chooseStorage(cfg), cfg.utcOffsetMinutes);
  } catch (err) {
    console.error(`report: cannot open the store: ${(err as Error).message}`);
    return 1;
  }
  try {
    const report = await buildSiteReport(store, {
      site: values.site!,
      period,
      sites: cfg.sites,
      utcOffsetMinutes: cfg.utcOffsetMinutes,
    });
    if (!report) {
      console.error(`report: no such ${values.month ? 'month' : 'day'}: ${values.month ?? values.day}`);
      return 2;
    }
    const text = values.format === 'html' ? reportHtml(report, await alarmWords()) : reportCsv(report);
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    return 0;
  } finally {
    await store.close();
  }
}
