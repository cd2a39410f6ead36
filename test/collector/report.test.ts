import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runReport } from '../../cli/collector-report.js';
import { buildSiteReport, reportCsv, reportHtml } from '../../collector/analytics/report.js';
import { foldBatch } from '../../collector/storage/batch.js';
import { openSqliteStore } from '../../collector/storage/sqlite.js';
import { alarmRecord, countsRecord } from './fixtures.js';

const { alarmInWords } = (await import(new URL('../../collector/dashboard/words.js', import.meta.url).href)) as {
  alarmInWords: (kind: string) => string;
};
const H = 3_600_000;
const D = 86_400_000;
const JAN1 = 1_767_200_400_000; // 2026-01-01 00:00 in Vietnam
const dir = mkdtempSync(join(tmpdir(), 'gate06-report-'));
const dbPath = join(dir, 'c.db');
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const cats = (domestic: number, foreign: number) => ({
  domestic,
  foreign,
  unknown: 0,
  ageBand: { '18-39': domestic + foreign },
  sex: {},
});
const seed = openSqliteStore(dbPath);
await seed.write(
  foldBatch(
    [
      countsRecord('tam-chuc', 'g1', JAN1 + 9 * H, [{ lane: 'L1', in: 10, out: 0, byCategory: cats(6, 4) }]),
      // one foreign visitor: this window's nationality is withheld
      countsRecord('tam-chuc', 'g1', JAN1 + D + 10 * H, [{ lane: 'L1', in: 5, out: 2, byCategory: cats(6, 1) }]),
      countsRecord('tam-chuc', 'g1', JAN1 + 31 * D, [{ lane: 'L1', in: 99, out: 0 }]), // February: not in January
      countsRecord('other', 'g1', JAN1 + 9 * H, [{ lane: 'L1', in: 50, out: 0 }]),
      alarmRecord('tam-chuc', 'g1', 'a1', JAN1 + 9 * H),
    ],
    3,
  ),
);
const sites = [{ id: 'tam-chuc', name: 'Khu du lịch Tam Chúc', kind: 'tourist' as const }];

t.test('a monthly report has a row per day with data and the month total, small cells withheld', async (t) => {
  const r = await buildSiteReport(seed, {
    site: 'tam-chuc',
    period: { month: '2026-01' },
    sites,
    utcOffsetMinutes: 420,
  });
  t.ok(r);
  const csv = reportCsv(r!).trim().split('\r\n');
  t.match(csv[0], /^Ngày \/ Date,Vào \/ In,Ra \/ Out,Trong nước \/ Domestic,Nước ngoài \/ Foreign,/);
  t.match(csv[1], /^2026-01-01,10,0,6,4,0,0,/);
  t.match(csv[2], /^2026-01-02,5,2,0,0,0,7,/);
  t.match(csv[3], /^Tổng \/ Total,15,2,6,4,0,7,/);
  t.equal(csv.length, 4);
});

t.test('a daily report has a row per local hour', async (t) => {
  const r = await buildSiteReport(seed, {
    site: 'tam-chuc',
    period: { day: '2026-01-01' },
    sites,
    utcOffsetMinutes: 420,
  });
  const csv = reportCsv(r!).trim().split('\r\n');
  t.match(csv[1], /^2026-01-01 09:00,10,0,/);
  t.same(r!.peaks, [9]);
});

t.test('the HTML page is printable, names the site, and gives alarms in Vietnamese first', async (t) => {
  const r = await buildSiteReport(seed, {
    site: 'tam-chuc',
    period: { month: '2026-01' },
    sites,
    utcOffsetMinutes: 420,
  });
  const html = reportHtml(r!, alarmInWords);
  t.match(html, /<title>Báo cáo lượt qua \/ Passage report — Khu du lịch Tam Chúc — 2026-01<\/title>/);
  t.match(html, /@page \{ size: A4/);
  t.match(html, /<li>Hai người qua một lượt · Tailgating: 1<\/li>/);
  t.notMatch(html, /<script/);
});

t.test('a day that does not exist is refused', async (t) => {
  t.equal(
    await buildSiteReport(seed, { site: 'tam-chuc', period: { day: '2026-02-30' }, sites, utcOffsetMinutes: 420 }),
    null,
  );
});

t.test('gate06 collector report writes the CSV and the HTML from the configured store', async (t) => {
  await seed.close();
  const cfg = join(dir, 'collector.yaml');
  writeFileSync(
    cfg,
    `storage: { sqlitePath: ${dbPath} }\nhttp: { apiToken: { demo: report-test-token-123 } }\nsites:\n  - { id: tam-chuc, name: "Tam Chúc", kind: tourist }\n`,
  );
  const csvOut = join(dir, 'r.csv');
  t.equal(await runReport(['-c', cfg, '--site', 'tam-chuc', '--month', '2026-01', '--out', csvOut]), 0);
  t.match(readFileSync(csvOut, 'utf8'), /Tổng \/ Total,15,2,/);
  const htmlOut = join(dir, 'r.html');
  t.equal(
    await runReport(['-c', cfg, '--site', 'tam-chuc', '--day', '2026-01-01', '--format', 'html', '--out', htmlOut]),
    0,
  );
  t.match(readFileSync(htmlOut, 'utf8'), /Tam Chúc — 2026-01-01/);
  t.equal(await runReport(['-c', cfg, '--site', 'tam-chuc']), 2, 'neither --month nor --day');
});
