// Daily and monthly reports per site for a department: one row per hour (a day) or per day (a month), with
// passages, the category breakdowns (small cells withheld, as everywhere: contracts/small-cells.ts), peak hours and alarms
// by kind. Gathered from the store, then written as CSV (spreadsheets) or a printable HTML page (A4).
import type { CollectorSite } from '../config.js';
import { resetRuleFor } from '../occupancy.js';
import { nextBucketStart } from '../storage/grain-sql.js';
import type { CollectorStore } from '../storage/types.js';
import { type CategoryRow, categoryRow, peakHours } from './shape.js';

export type ReportPeriod = { month: string } | { day: string };

export interface SiteReport {
  site: string;
  name: string;
  kind: string;
  /** 'YYYY-MM' or 'YYYY-MM-DD' (local) */
  label: string;
  grain: 'hour' | 'day';
  from: number;
  to: number;
  rows: CategoryRow[];
  total: CategoryRow;
  peaks: number[];
  alarms: { kind: string; n: number }[];
  utcOffsetMinutes: number;
}

/** The local period → [from, to) instants; null for a date that does not exist. */
export function periodRange(p: ReportPeriod, utcOffsetMinutes: number): { from: number; to: number } | null {
  const off = utcOffsetMinutes * 60_000;
  if ('month' in p) {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(p.month)) return null;
    const from = Date.parse(`${p.month}-01T00:00:00Z`) - off;
    return { from, to: nextBucketStart(from, 'month', utcOffsetMinutes) };
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(p.day)) return null;
  const t = Date.parse(`${p.day}T00:00:00Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== p.day) return null;
  return { from: t - off, to: t - off + 86_400_000 };
}

export async function buildSiteReport(
  store: CollectorStore,
  o: { site: string; period: ReportPeriod; sites: readonly CollectorSite[]; utcOffsetMinutes: number },
): Promise<SiteReport | null> {
  const range = periodRange(o.period, o.utcOffsetMinutes);
  if (!range) return null;
  const grain = 'month' in o.period ? 'day' : 'hour';
  const base = { site: o.site, ...range, utcOffsetMinutes: o.utcOffsetMinutes };
  const rule = resetRuleFor(o.site, o.sites);
  const tag = <T extends object>(c: T) => ({ ...c, kind: rule.kind });
  const cells = await store.analytics({ ...base, grain, groupBy: 'site' });
  const [whole] = await store.analytics({
    ...base,
    grain: 'month' in o.period ? 'month' : 'day',
    groupBy: 'site',
  });
  const hours = await store.hourOfDay(base);
  const alarms = await store.alarmKinds({ ...base, grain: 'month' });
  const byKind = new Map<string, number>();
  for (const a of alarms) byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + a.n);
  const empty = { bucketStart: range.from, site: o.site, gate: '', lane: '', in: 0, out: 0, denied: 0 };
  return {
    site: o.site,
    name: rule.name,
    kind: rule.kind,
    label: 'month' in o.period ? o.period.month : o.period.day,
    grain,
    ...range,
    rows: cells.map((c) => categoryRow(tag(c))),
    total: categoryRow(tag(whole ?? { ...empty, ...zeroCategories() })),
    peaks: peakHours(hours, 1)[0]?.peaks ?? [],
    alarms: [...byKind.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, n]) => ({ kind, n })),
    utcOffsetMinutes: o.utcOffsetMinutes,
  };
}

const zeroCategories = () => ({
  domestic: 0,
  foreign: 0,
  unknown: 0,
  age0to17: 0,
  age18to39: 0,
  age40to59: 0,
  age60plus: 0,
  male: 0,
  female: 0,
  withheldNationality: 0,
  withheldAgeBand: 0,
  withheldSex: 0,
});

const COLUMNS: [string, (r: CategoryRow) => number][] = [
  ['Vào / In', (r) => r.in],
  ['Ra / Out', (r) => r.out],
  ['Trong nước / Domestic', (r) => r.nationality.domestic],
  ['Nước ngoài / Foreign', (r) => r.nationality.foreign],
  ['Không rõ quốc tịch / Nationality unknown', (r) => r.nationality.unknown],
  ['Ẩn quốc tịch (ô nhỏ) / Nationality withheld', (r) => r.nationality.withheld],
  ['0-17', (r) => r.ageBand['0-17']],
  ['18-39', (r) => r.ageBand['18-39']],
  ['40-59', (r) => r.ageBand['40-59']],
  ['60+', (r) => r.ageBand['60+']],
  ['Ẩn tuổi / Age withheld', (r) => r.ageBand.withheld],
  ['Nam / Male', (r) => r.sex.M],
  ['Nữ / Female', (r) => r.sex.F],
  ['Ẩn giới tính / Sex withheld', (r) => r.sex.withheld],
];

function periodOf(r: SiteReport, start: number): string {
  const local = new Date(start + r.utcOffsetMinutes * 60_000).toISOString();
  return r.grain === 'day' ? local.slice(0, 10) : `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/** A spreadsheet cell: quoted, and a leading = + - @ neutralised so a spreadsheet never runs it as a formula. */
const csvCell = (v: string | number): string => {
  const s = String(v);
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function reportCsv(r: SiteReport): string {
  const head = [r.grain === 'day' ? 'Ngày / Date' : 'Giờ / Hour', ...COLUMNS.map(([h]) => h)];
  const lines = [head, ...r.rows.map((row) => [periodOf(r, row.start), ...COLUMNS.map(([, f]) => f(row))])];
  lines.push(['Tổng / Total', ...COLUMNS.map(([, f]) => f(r.total))]);
  return `${lines.map((l) => l.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmt = (n: number): string => n.toLocaleString('vi-VN');

/** A self-contained A4 page (styles inside, no script, no outside resource): print it or save it as PDF. */
export function reportHtml(r: SiteReport, alarmInWords: (kind: string) => string): string {
  const title = `Báo cáo lượt qua / Passage report — ${r.name || r.site} — ${r.label}`;
  const th = [r.grain === 'day' ? 'Ngày / Date' : 'Giờ / Hour', ...COLUMNS.map(([h]) => h)];
  const rowHtml = (cells: (string | number)[], cls = '') =>
    `<tr${cls ? ` class="${cls}"` : ''}>${cells.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(typeof c === 'number' ? fmt(c) : c)}</td>`)).join('')}</tr>`;
  const body = r.rows.map((row) => rowHtml([periodOf(r, row.start), ...COLUMNS.map(([, f]) => f(row))])).join('\n');
  const total = rowHtml(['Tổng / Total', ...COLUMNS.map(([, f]) => f(r.total))], 'total');
  const peaks = r.peaks.length ? r.peaks.map((h) => `${String(h).padStart(2, '0')}:00`).join(', ') : '—';
  const alarms = r.alarms.length
    ? r.alarms.map((a) => `<li>${esc(alarmInWords(a.kind))}: ${fmt(a.n)}</li>`).join('')
    : '<li>Không có / None</li>';
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
  @page { size: A4 landscape; margin: 12mm; }
  body { font: 10pt/1.35 system-ui, sans-serif; color: #111; margin: 0 auto; max-width: 277mm; }
  h1 { font-size: 14pt; margin: 0 0 4pt; }
  .meta { color: #444; margin: 0 0 8pt; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #999; padding: 2pt 4pt; text-align: right; }
  thead th { background: #eee; text-align: center; font-weight: 600; }
  tbody th { text-align: left; font-weight: 400; white-space: nowrap; }
  tr.total th, tr.total td { font-weight: 700; background: #f4f4f4; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  .note { color: #444; font-size: 8.5pt; margin-top: 8pt; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">Điểm / Site: <b>${esc(r.site)}</b> (${esc(r.kind)}) · Giờ Việt Nam (UTC+7) / Vietnam time · Giờ cao điểm / Peak hours: <b>${esc(peaks)}</b></p>
<table>
<thead><tr>${th.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${body}
${total}
</tbody>
</table>
<h2 style="font-size:11pt">Cảnh báo / Alarms</h2>
<ul>${alarms}</ul>
<p class="note">Các nhóm (quốc tịch, tuổi, giới tính) của một làn trong một phút có ô ít hơn ngưỡng được ẩn toàn bộ và tính vào cột “Ẩn”, để không nhận ra được từng người. /
A breakdown of one lane and minute with a cell under the minimum is withheld whole and counted under “withheld”, so no one can be singled out.
Lượt qua = vào + ra. / Passages = in + out.</p>
</body>
</html>
`;
}
