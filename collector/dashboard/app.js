// @ts-check
// IOC dashboard. Plain ES module, no framework, no CDN, nothing inline (CSP script-src 'self').
// The API token is typed once and kept in sessionStorage: it lives as long as the tab, never in a URL or cookie.
import { refreshAnalytics } from './analytics.js';
import { alarmInWords } from './words.js';

/**
 * The IOC API's answers as the dashboard reads them (collector/http/routes.ts writes them).
 * @typedef {{ sites: Array<{ id: string, name?: string | null }> }} SitesAnswer
 * @typedef {{ start: number, in: number, out: number, denied: number }} CountBucket
 * @typedef {{ buckets: CountBucket[] }} CountsAnswer
 * @typedef {{ zone: string, occupancy: number }} ZoneOccupancy
 * @typedef {{ sites: Array<{ site: string, kind: string, occupancy: number, resetAt: string, zones: ZoneOccupancy[] }> }} OccupancyAnswer
 * @typedef {{ site: string, gate: string, online: boolean, offlineReason?: string | null, lastSeen?: number | null, outboxDepth?: number | null, outboxCapacity?: number | null }} GateState
 * @typedef {{ gates: GateState[] }} GatesAnswer
 * @typedef {{ ts: number, site: string, gate: string, lane?: string | null, kind: string }} AlarmRow
 * @typedef {{ alarms: AlarmRow[] }} AlarmsAnswer
 */

/**
 * A table cell: plain text (a missing value shows as a dash) or text with a class, the code behind it and a note
 * shown after it in small print.
 * @typedef {string | number | null | undefined | { text: string, note?: string, cls?: string, code?: string }} Cell
 */

/** An API refusal of the token, told apart from other failures without reading the message. */
class Unauthorized extends Error {}

(() => {
  const TOKEN_KEY = 'gate06.iocToken';
  const REFRESH_MS = 5000;
  const ANALYTICS_MS = 60_000;
  let analyticsAt = 0;
  /**
   * The page's element with this id; the page is ours, so a missing one is a bug in the page and fails loudly.
   * @template {HTMLElement} [E=HTMLElement]
   * @param {string} id
   * @returns {E}
   */
  const $ = (id) => {
    const node = document.getElementById(id);
    if (!node) throw new Error(`the dashboard page has no #${id}`);
    return /** @type {E} */ (node);
  };
  const SVG = 'http://www.w3.org/2000/svg';
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;

  /** @param {number | null | undefined} ms */
  const fmtTime = (ms) => (ms ? new Date(ms).toLocaleTimeString('vi-VN', { hour12: false }) : '—');
  const token = () => sessionStorage.getItem(TOKEN_KEY);

  /**
   * @param {string} path
   * @returns {Promise<any>}
   */
  async function api(path) {
    const res = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
    if (res.status === 401) throw new Unauthorized('unauthorized');
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  }

  // Every value from the API goes in through textContent: alarm details and ids are never parsed as HTML.
  /** @param {Cell[]} cells */
  function row(cells) {
    const tr = document.createElement('tr');
    for (const c of cells) {
      const td = document.createElement('td');
      if (c && typeof c === 'object') {
        td.textContent = c.text;
        if (c.note) {
          const note = document.createElement('small');
          note.textContent = ` (${c.note})`;
          td.append(note);
        }
        if (c.cls) td.className = c.cls;
        // The code behind words, for support: a tooltip and data-code.
        if (c.code) {
          td.title = c.code;
          td.dataset.code = c.code;
        }
      } else td.textContent = c == null ? '—' : String(c);
      tr.append(td);
    }
    return tr;
  }
  /**
   * @param {string} tableId
   * @param {HTMLTableRowElement[]} rows
   * @param {string} emptyText
   */
  function fill(tableId, rows, emptyText) {
    const body = /** @type {HTMLTableSectionElement} */ ($(tableId).querySelector('tbody'));
    body.replaceChildren(...(rows.length ? rows : [row([emptyText])]));
  }

  /**
   * @param {CountBucket[]} buckets
   * @param {number} from
   * @param {number} to
   */
  function drawChart(buckets, from, to) {
    const w = 900,
      h = 220,
      pad = 28;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('role', 'img');
    const max = Math.max(1, ...buckets.map((b) => Math.max(b.in, b.out, b.denied)));
    const slots = Math.max(1, Math.round((to - from) / 60000));
    const slotW = (w - pad * 2) / slots;
    const barW = Math.max(1, slotW / 3 - 1);
    const axis = document.createElementNS(SVG, 'line');
    axis.setAttribute('class', 'axis');
    axis.setAttribute('x1', String(pad));
    axis.setAttribute('x2', String(w - pad));
    axis.setAttribute('y1', String(h - pad));
    axis.setAttribute('y2', String(h - pad));
    svg.append(axis);
    /**
     * @param {number} x
     * @param {number} y
     * @param {string} text
     */
    const label = (x, y, text) => {
      const t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', String(x));
      t.setAttribute('y', String(y));
      t.textContent = text;
      svg.append(t);
    };
    label(2, pad, String(max));
    label(pad, h - 8, fmtTime(from));
    label(w - pad - 50, h - 8, fmtTime(to));
    for (const b of buckets) {
      const slot = Math.floor((b.start - from) / 60000);
      if (slot < 0 || slot >= slots) continue;
      /** @type {Array<[string, number]>} */
      const bars = [
        ['in', b.in],
        ['out', b.out],
        ['denied', b.denied],
      ];
      bars.forEach(([kind, v], k) => {
        const bh = ((h - pad * 2) * v) / max;
        const r = document.createElementNS(SVG, 'rect');
        r.setAttribute('class', `bar-${kind}`);
        r.setAttribute('x', (pad + slot * slotW + k * (barW + 1)).toFixed(1));
        r.setAttribute('y', (h - pad - bh).toFixed(1));
        r.setAttribute('width', barW.toFixed(1));
        r.setAttribute('height', bh.toFixed(1));
        const tip = document.createElementNS(SVG, 'title');
        tip.textContent = `${fmtTime(b.start)} ${kind}: ${v}`;
        r.append(tip);
        svg.append(r);
      });
    }
    $('chart').replaceChildren(svg);
    $('chart').dataset.bars = String(svg.querySelectorAll('rect').length);
  }

  async function refresh() {
    try {
      /** @type {HTMLSelectElement} */
      const select = $('site');
      const site = select.value;
      const to = Math.ceil(Date.now() / 60000) * 60000;
      const from = to - 60 * 60000;
      const q = new URLSearchParams({ bucket: 'minute', from: String(from), to: String(to) });
      if (site) q.set('site', site);
      /** @type {[SitesAnswer, CountsAnswer, OccupancyAnswer, GatesAnswer, AlarmsAnswer]} */
      const [sites, counts, occ, gates, alarms] = await Promise.all([
        api('/v1/sites'),
        api(`/v1/counts?${q}`),
        api('/v1/occupancy'),
        api('/v1/gates'),
        api('/v1/alarms?limit=20'),
      ]);
      const known = new Set([...select.options].map((o) => o.value));
      for (const s of sites.sites) {
        if (known.has(s.id)) continue;
        const o = document.createElement('option');
        o.value = s.id;
        o.textContent = s.name ? `${s.name} (${s.id})` : s.id;
        select.append(o);
      }
      drawChart(counts.buckets, from, to);
      fill(
        'occupancy',
        occ.sites.flatMap((s) => [
          row([
            s.site,
            s.kind,
            'toàn điểm / whole site',
            s.occupancy,
            s.resetAt === 'never' ? 'không / never' : s.resetAt,
          ]),
          ...s.zones.map((z) => row(['', '', z.zone, z.occupancy, ''])),
        ]),
        'Chưa có dữ liệu / No data yet',
      );
      fill(
        'gates',
        gates.gates.map((g) =>
          row([
            g.site,
            g.gate,
            g.online
              ? { text: 'Trực tuyến / Online', cls: 'online' }
              : { text: `Mất kết nối / Offline (${g.offlineReason})`, cls: 'offline' },
            fmtTime(g.lastSeen),
            g.outboxDepth == null ? '—' : `${g.outboxDepth} / ${g.outboxCapacity}`,
          ]),
        ),
        'Chưa có cổng / No gates yet',
      );
      fill(
        'alarms',
        alarms.alarms.map((a) =>
          row([fmtTime(a.ts), a.site, a.gate, a.lane, { text: alarmInWords(a.kind), cls: 'kind', code: a.kind }]),
        ),
        'Không có cảnh báo / No alarms',
      );
      // The analytics card reads days to months: once a minute is enough, and on every change of site or period.
      if (Date.now() - analyticsAt >= ANALYTICS_MS) {
        analyticsAt = Date.now();
        /** @type {HTMLSelectElement} */
        const period = $('period');
        await refreshAnalytics({
          api,
          row,
          $,
          site,
          period: /** @type {'day' | 'week' | 'month'} */ (period.value),
        });
      }
      $('status').textContent = `Cập nhật / Updated ${fmtTime(Date.now())}`;
    } catch (err) {
      if (err instanceof Unauthorized) return showLogin('Mã không hợp lệ / Wrong token');
      $('status').textContent = `Lỗi / Error: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** @param {string} [message] */
  function showLogin(message) {
    clearInterval(timer);
    sessionStorage.removeItem(TOKEN_KEY);
    $('board').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('status').textContent = message || '';
  }
  function showBoard() {
    analyticsAt = 0;
    $('login').hidden = true;
    $('board').hidden = false;
    $('logout').hidden = false;
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }

  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    /** @type {HTMLInputElement} */
    const input = $('token');
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    showBoard();
  });
  $('logout').addEventListener('click', () => showLogin());
  const refreshAll = () => {
    analyticsAt = 0;
    refresh();
  };
  $('site').addEventListener('change', refreshAll);
  $('period').addEventListener('change', refreshAll);
  if (token()) showBoard();
  else showLogin();
})();
