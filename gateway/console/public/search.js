// @ts-check
// The security view: searching the log, paging on, exporting CSV, watchlist hits and one event's detail.
// Every search and export is audited by the server.
import { api, request } from './api.js';
import { $, alarmInWords, el, reasonInWords } from './dom.js';
import { renderEventDetail } from './event-detail.js';
import { formatDateTime, hasLabel, t } from './i18n.js';
import { report, toast } from './toast.js';
import { inWords, REASON_WORDS } from './words.js';

/**
 * @typedef {import('./api-types.js').LogEvent} LogEvent
 * @typedef {import('./api-types.js').SearchAnswer} SearchAnswer
 * @typedef {Record<string, string | number>} Filter
 */

const PAGE_SIZE = 50;
// The download link must live until the browser has read the blob; 10 s is long enough for any export.
const EXPORT_URL_LIFETIME_MS = 10_000;

/** @type {string | null | undefined} */
let nextCursor = null;
/** @type {Filter} */
let lastFilter = {};

/** @returns {Filter} */
function filterFromForm() {
  const f = new FormData(/** @type {HTMLFormElement} */ ($('#search-form')));
  /** @type {Filter} */
  const body = {};
  for (const k of ['lane', 'direction', 'decision', 'credential', 'reason', 'idNumber']) {
    const v = String(f.get(k) ?? '').trim();
    if (v) body[k] = v;
  }
  for (const k of ['from', 'to']) {
    const v = String(f.get(k) ?? '');
    if (v) body[k] = new Date(v).getTime(); // datetime-local is the browser's local time
  }
  return body;
}

/** @param {LogEvent} e */
function resultRow(e) {
  return el(
    'tr',
    { class: e.decision ?? '', dataset: { eventId: e.id } },
    el('td', {}, formatDateTime(e.ts)),
    el('td', {}, hasLabel(`type.${e.type}`) ? t(`type.${e.type}`) : e.type),
    el('td', {}, e.lane ?? ''),
    el('td', {}, e.direction ? t(`dir.${e.direction}`) : ''),
    el('td', {}, e.credential ? t(`cred.${e.credential}`) : ''),
    el('td', { class: 'decision' }, e.decision ? t(`dec.${e.decision}`) : ''),
    // An alarm has no reason code: its kind says what happened.
    el(
      'td',
      { class: 'reason' },
      e.reason
        ? reasonInWords(e.reason)
        : e.type === 'alarm' && e.facts?.kind
          ? alarmInWords(String(e.facts.kind))
          : '',
    ),
    el('td', {}, e.idMasked ?? ''),
    el(
      'td',
      {},
      el(
        'button',
        { type: 'button', class: 'small secondary detail-open', onclick: () => openDetail(e.id) },
        t('detail.open'),
      ),
    ),
  );
}

/** @param {boolean} append the next page of the last search, else a new search from the form */
async function runSearch(append) {
  const filter = append ? lastFilter : filterFromForm();
  lastFilter = filter;
  const body = { ...filter, limit: PAGE_SIZE, ...(append && nextCursor ? { cursor: nextCursor } : {}) };
  /** @type {SearchAnswer} */
  const r = await api('/v1/security/search', { method: 'POST', body });
  const tbody = $('#results tbody');
  if (append) tbody.append(...r.events.map(resultRow));
  else tbody.replaceChildren(...r.events.map(resultRow));
  nextCursor = r.nextCursor;
  $('#more').hidden = !r.nextCursor;
  $('#result-count').textContent = t('f.rows', { n: tbody.children.length });
}

async function exportCsv() {
  const res = await request('/v1/security/export', { method: 'POST', body: filterFromForm() });
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'gate06-export.csv';
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), EXPORT_URL_LIFETIME_MS);
  toast(t('f.exported', { n: res.headers.get('x-row-count') ?? '?' }));
}

async function showWatchlistHits() {
  /** @type {SearchAnswer} */
  const r = await api('/v1/security/watchlist-hits');
  $('#results tbody').replaceChildren(...r.events.map(resultRow));
  $('#more').hidden = true;
  $('#result-count').textContent = t('f.rows', { n: r.events.length });
}

/** @param {string} id */
async function openDetail(id) {
  try {
    const d = await api(`/v1/security/events/${encodeURIComponent(id)}`);
    const detail = $('#detail');
    detail.replaceChildren(...renderEventDetail(d, { onOpen: openDetail }));
    detail.hidden = false;
  } catch (err) {
    report(err);
  }
}

/** The lane filter lists the gate's lanes. @param {string[]} laneIds */
export function fillLaneFilter(laneIds) {
  $('#search-lane').replaceChildren(
    el('option', { value: '' }, t('any')),
    ...laneIds.map((lane) => el('option', { value: lane }, lane)),
  );
}

/** The reason filter lists every code in words, so a security officer need not know the codes. */
export function fillReasonFilter() {
  /** @type {HTMLSelectElement} */
  const select = $('#search-reason');
  const chosen = select.value;
  select.replaceChildren(
    el('option', { value: '' }, t('any')),
    ...Object.keys(REASON_WORDS).map((code) => el('option', { value: code }, inWords(REASON_WORDS, code))),
  );
  select.value = chosen;
}

export function wireSearch() {
  $('#search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runSearch(false).catch(report);
  });
  $('#more').addEventListener('click', () => runSearch(true).catch(report));
  $('#export').addEventListener('click', () => exportCsv().catch(report));
  $('#watchlist').addEventListener('click', () => showWatchlistHits().catch(report));
}
