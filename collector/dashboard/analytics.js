// @ts-check
// The dashboard's analytics card: the chosen period (today, this week, this month), sites compared, visitors
// domestic vs foreign and by age band, peak hours, occupancy over today, denials by reason and alarms by kind. Every figure comes
// from /v1/analytics, where category cells under the minimum are already withheld.
import { alarmInWords, denialInWords } from './words.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @typedef {{ site: string, kind: string, in: number, out: number, denied: number }} PassageRow
 * @typedef {{ site: string, kind: string, passages: number, nationality: { domestic: number, foreign: number, unknown: number, withheld: number, notReported: number }, ageBand: Record<string, number> }} CategoryRow
 * @typedef {{ site: string, hours: Array<{ hour: number, in: number }>, peaks: number[] }} PeakSite
 * @typedef {{ start: number, occupancy: number }} OccPoint
 * @typedef {(path: string) => Promise<any>} Api
 * @typedef {(cells: Array<string | number | null | undefined | { text: string, note?: string, cls?: string, code?: string }>) => HTMLTableRowElement} Row
 */

const PERIOD_WORDS = { day: 'Hôm nay / Today', week: 'Tuần này / This week', month: 'Tháng này / This month' };
const KIND_WORDS = /** @type {Record<string, string>} */ ({
  tourist: 'Du lịch / Tourist',
  industrial: 'Khu công nghiệp / Industrial',
  station: 'Nhà ga / Station',
});

/**
 * @param {{ api: Api, row: Row, $: (id: string) => HTMLElement, site: string, period: 'day' | 'week' | 'month' }} o
 */
export async function refreshAnalytics({ api, row, $, site, period }) {
  const now = Date.now();
  const sel = new URLSearchParams({ from: String(now - 1), to: String(now), grain: period, groupBy: 'site' });
  /** @type {{ from: number, to: number, rows: PassageRow[] }} */
  const passages = await api(`/v1/analytics/passages?${sel}`);
  const range = new URLSearchParams({ from: String(passages.from), to: String(passages.to) });
  if (site) range.set('site', site);
  const denialSel = new URLSearchParams(range);
  denialSel.set('grain', period);
  denialSel.set('groupBy', 'total');
  /** @type {[{ rows: CategoryRow[] }, { sites: PeakSite[] }, { rows: Array<{ kind: string, n: number }>, byKind: Record<string, number> }, { totals: { denied: number, byReason: Record<string, number>, notReported: number } }]} */
  const [categories, peaks, alarms, denials] = await Promise.all([
    api(`/v1/analytics/categories?${sel}`),
    api(`/v1/analytics/peak-hours?${range}`),
    api(`/v1/analytics/alarms?${range}&grain=day`),
    api(`/v1/analytics/denials?${denialSel}`),
  ]);
  $('period-label').textContent = `${PERIOD_WORDS[period]}: ${fmtDate(passages.from)} – ${fmtDate(passages.to - 1)}`;

  /** @param {string} id @param {HTMLTableRowElement[]} rows @param {string} empty */
  const fill = (id, rows, empty) => {
    const body = /** @type {HTMLTableSectionElement} */ ($(id).querySelector('tbody'));
    body.replaceChildren(...(rows.length ? rows : [row([empty])]));
  };
  const NO_DATA = 'Chưa có dữ liệu / No data yet';
  const cats = new Map(categories.rows.map((c) => [c.site, c]));
  fill(
    'compare',
    passages.rows.map((p) => {
      const c = cats.get(p.site);
      return row([
        p.site,
        KIND_WORDS[p.kind] ?? p.kind,
        p.in,
        p.out,
        p.denied,
        c?.nationality.domestic,
        c?.nationality.foreign,
        c ? c.nationality.withheld : null,
      ]);
    }),
    NO_DATA,
  );

  const chosen = categories.rows.filter((c) => !site || c.site === site);
  const sum = (/** @type {(c: CategoryRow) => number} */ f) => chosen.reduce((a, c) => a + f(c), 0);
  const bands = ['0-17', '18-39', '40-59', '60+'];
  fill(
    'ages',
    chosen.length
      ? [
          row(['Trong nước / Domestic', sum((c) => c.nationality.domestic)]),
          row(['Nước ngoài / Foreign', sum((c) => c.nationality.foreign)]),
          row(['Ẩn (ô nhỏ) / Withheld (small cells)', sum((c) => c.nationality.withheld)]),
          ...bands.map((b) => row([`Tuổi / Age ${b}`, sum((c) => c.ageBand[b] ?? 0)])),
        ]
      : [],
    NO_DATA,
  );

  const hours = Array.from({ length: 24 }, (_, h) =>
    peaks.sites.reduce((a, s) => a + (s.hours.find((x) => x.hour === h)?.in ?? 0), 0),
  );
  const top = hours
    .map((n, h) => [n, h])
    .filter(([n]) => n > 0)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, 3)
    .map(([, h]) => h);
  $('peak-text').textContent = top.length
    ? `Giờ cao điểm / Peak hours: ${top.map((h) => `${String(h).padStart(2, '0')}:00`).join(', ')}`
    : NO_DATA;
  drawBars($('peaks'), hours);

  fill(
    'alarm-kinds',
    Object.entries(alarms.byKind)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => row([{ text: alarmInWords(kind), cls: 'kind', code: kind }, n])),
    'Không có cảnh báo / No alarms',
  );

  fill(
    'denials',
    [
      ...Object.entries(denials.totals.byReason)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([code, n]) => {
          const words = denialInWords(code);
          return row([{ ...words, cls: words.note ? 'reason no-words' : 'reason', code }, n]);
        }),
      ...(denials.totals.notReported > 0
        ? [row(['Không rõ lý do (cổng chưa gửi lý do) / Reason not sent by the gate', denials.totals.notReported])]
        : []),
    ],
    'Không có lượt từ chối / No denials',
  );

  const occSite = site || passages.rows[0]?.site;
  if (occSite) {
    /** @type {{ points: OccPoint[] }} */
    const occ = await api(`/v1/analytics/occupancy?site=${encodeURIComponent(occSite)}`);
    $('occ-site').textContent = occSite;
    drawLine(
      $('occ-curve'),
      occ.points.filter((p) => p.start <= now),
    );
  }
}

/** @param {number} ms */
const fmtDate = (ms) => new Date(ms).toLocaleDateString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' });

/** @param {HTMLElement} box @param {number[]} values one per hour 0-23 */
function drawBars(box, values) {
  const w = 480,
    h = 160,
    pad = 20;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const max = Math.max(1, ...values);
  const slot = (w - pad * 2) / 24;
  values.forEach((v, hour) => {
    const bh = ((h - pad * 2) * v) / max;
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('class', 'bar-in');
    r.setAttribute('x', (pad + hour * slot + 1).toFixed(1));
    r.setAttribute('y', (h - pad - bh).toFixed(1));
    r.setAttribute('width', (slot - 2).toFixed(1));
    r.setAttribute('height', bh.toFixed(1));
    const tip = document.createElementNS(SVG, 'title');
    tip.textContent = `${String(hour).padStart(2, '0')}:00 — ${v}`;
    r.append(tip);
    svg.append(r);
    if (hour % 3 === 0) {
      const t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', (pad + hour * slot).toFixed(1));
      t.setAttribute('y', String(h - 4));
      t.textContent = `${hour}h`;
      svg.append(t);
    }
  });
  box.replaceChildren(svg);
  box.dataset.total = String(values.reduce((a, b) => a + b, 0));
}

/** @param {HTMLElement} box @param {OccPoint[]} points */
function drawLine(box, points) {
  const w = 480,
    h = 160,
    pad = 20;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const max = Math.max(1, ...points.map((p) => p.occupancy));
  const x = (/** @type {number} */ i) => pad + (i * (w - pad * 2)) / 24;
  const y = (/** @type {number} */ v) => h - pad - ((h - pad * 2) * v) / max;
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('class', 'occ-line');
  line.setAttribute('points', points.map((p, i) => `${x(i + 1).toFixed(1)},${y(p.occupancy).toFixed(1)}`).join(' '));
  svg.append(line);
  const label = document.createElementNS(SVG, 'text');
  label.setAttribute('x', '2');
  label.setAttribute('y', String(pad));
  label.textContent = String(max);
  svg.append(label);
  box.replaceChildren(svg);
  box.dataset.now = String(points.at(-1)?.occupancy ?? 0);
}
