// The operator console: plain ES module, no framework, no CDN. Server data goes into the page only through
// textContent (never innerHTML), and the page only talks to its own origin (CSP connect-src 'self').
import { alarmInWords, el, reasonInWords } from './dom.js';
import { renderEventDetail } from './event-detail.js';
import { applyLabels, currentLang, formatDateTime, formatTime, hasLabel, setLang, t } from './i18n.js';
import { inWords, REASON_WORDS } from './words.js';

const $ = (sel, root = document) => root.querySelector(sel);
const ROLE_RANK = { operator: 1, security: 2, admin: 3 };
const MAX_DECISIONS = 30;

const state = { me: null, csrf: '', source: null, lanes: new Map(), nextCursor: null, lastFilter: null };

const time = formatTime;
const dateTime = formatDateTime;

let toastTimer;
function toast(msg) {
  const n = $('#toast');
  n.textContent = msg;
  n.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (n.hidden = true), 4000);
}

class HttpError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = state.csrf;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 401 && !path.startsWith('/v1/auth/login')) {
    showLogin();
    throw new HttpError(401, { message: 'session ended' });
  }
  if (!res.ok) throw new HttpError(res.status, await res.json().catch(() => null));
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

function report(err) {
  if (err.status === 401) return;
  toast(err.status === 403 ? t('err.forbidden') : t('err.generic', { msg: err.message }));
}

// ---------- views and login ----------

function show(view) {
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== `view-${view}`;
  for (const b of document.querySelectorAll('.tab'))
    b.setAttribute('aria-current', b.dataset.view === view ? 'page' : 'false');
  if (view === 'audit') loadAudit().catch(report);
}

function showLogin() {
  state.me = null;
  state.source?.close();
  state.source = null;
  $('#tabs').hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  setLive(false);
  show('login');
}

async function enter(me) {
  state.me = me;
  state.csrf = me.csrfToken;
  $('#who').textContent = `${me.name} · ${me.role}`;
  $('#logout').hidden = false;
  $('#tabs').hidden = false;
  for (const b of document.querySelectorAll('.tab'))
    b.hidden = (ROLE_RANK[b.dataset.role ?? 'operator'] ?? 1) > ROLE_RANK[me.role];
  show('lanes');
  await loadState();
  connectLive();
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('#login-error');
  err.hidden = true;
  try {
    const me = await api('/v1/auth/login', {
      method: 'POST',
      body: { name: $('#login-name').value.trim(), password: $('#login-password').value },
    });
    $('#login-password').value = '';
    await enter(me);
  } catch (x) {
    err.textContent = x.status === 429 ? t('login.throttled') : t('login.failed');
    err.hidden = false;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('/v1/auth/logout', { method: 'POST' }).catch(() => {});
  showLogin();
});

$('#lang').addEventListener('click', () => {
  setLang(currentLang() === 'vi' ? 'en' : 'vi');
  $('#lang').textContent = currentLang() === 'vi' ? 'EN' : 'VI';
  if (state.me) loadState().catch(report);
});

for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => show(b.dataset.view));

// ---------- lanes, counts, alarms, decisions ----------

async function loadState() {
  const s = await api('/v1/console/state');
  $('#site-name').textContent = `${s.site.name || s.site.id} · ${s.gate}`;
  state.lanes = new Map(s.lanes.map((l) => [l.lane, l]));
  renderLanes();
  renderCounts(s.counts);
  const alarms = $('#alarms');
  alarms.replaceChildren(...s.alarms.map(alarmItem));
  $('#no-alarms').hidden = s.alarms.length > 0;
  $('#decisions tbody').replaceChildren(...s.recent.map((d) => decisionRow(d, false)));
  const laneSelect = $('#search-lane');
  laneSelect.replaceChildren(
    el('option', { value: '' }, t('any')),
    ...s.lanes.map((l) => el('option', { value: l.lane }, l.lane)),
  );
}

function renderLanes() {
  $('#lanes').replaceChildren(
    ...[...state.lanes.values()].map((l) => {
      const links = Object.entries(l.links ?? {}).map(([dev, st]) =>
        el('span', { class: `badge ${st}` }, `${dev}: ${st}`),
      );
      const flags = [
        l.freePassage ? el('span', { class: 'badge up' }, t('lane.free')) : null,
        l.fire ? el('span', { class: 'badge down' }, t('lane.fire')) : null,
        l.degraded ? el('span', { class: 'badge warn' }, t('lane.degraded')) : null,
      ];
      return el(
        'article',
        { class: `lane${l.degraded ? ' degraded' : ''}${l.freePassage ? ' free' : ''}`, dataset: { lane: l.lane } },
        el('h3', {}, l.lane, ' ', el('span', { class: 'badge phase' }, l.phase ?? '')),
        el('div', { class: 'badges' }, flags, links),
        el(
          'div',
          { class: 'actions' },
          el(
            'button',
            { type: 'button', class: 'open', dataset: { direction: 'in' }, onclick: () => askOpen(l.lane, 'in') },
            t('lane.open.in'),
          ),
          el(
            'button',
            { type: 'button', class: 'open', dataset: { direction: 'out' }, onclick: () => askOpen(l.lane, 'out') },
            t('lane.open.out'),
          ),
          // Every console role includes operator, whose job free passage is (docs/console.md).
          el(
            'button',
            { type: 'button', class: 'secondary free-toggle', onclick: () => askFree(l.lane, !l.freePassage) },
            t(l.freePassage ? 'lane.free.off' : 'lane.free.on'),
          ),
        ),
      );
    }),
  );
}

function renderCounts(c) {
  $('#counts tbody').replaceChildren(
    ...c.lanes.map((l) =>
      el(
        'tr',
        { dataset: { lane: l.lane } },
        el('td', {}, l.lane),
        el('td', { class: 'in' }, l.in),
        el('td', { class: 'out' }, l.out),
        el('td', { class: 'denied' }, l.denied),
        el('td', {}, l.manualOpens),
      ),
    ),
  );
}

let countsTimer;
function refreshCountsSoon() {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(() => api('/v1/console/counts').then(renderCounts).catch(report), 500);
}

function decisionRow(d, fresh) {
  return el(
    'tr',
    { class: `${d.decision}${fresh ? ' fresh' : ''}`, dataset: { eventId: d.eventId } },
    el('td', {}, time(d.ts)),
    el('td', {}, d.lane),
    el('td', {}, t(`dir.${d.direction}`)),
    el('td', {}, t(`cred.${d.credential}`)),
    el('td', { class: 'decision' }, t(`dec.${d.decision}`)),
    el('td', { class: 'reason' }, reasonInWords(d.reason)),
    el('td', {}, d.idMasked ?? ''),
    el('td', {}, d.faceScore === null || d.faceScore === undefined ? '' : d.faceScore.toFixed(3)),
  );
}

function alarmItem(a) {
  const acked = a.acknowledged;
  return el(
    'li',
    { class: acked ? 'acked' : '', dataset: { alarmId: a.id, kind: a.kind } },
    el(
      'span',
      {},
      el('strong', {}, alarmInWords(a.kind)),
      ` · ${a.lane ?? '—'} · ${time(a.ts)}`,
      acked ? ` · ${t('alarms.acked')} ${acked.by}` : '',
    ),
    acked ? null : el('button', { type: 'button', class: 'small ack', onclick: () => ackAlarm(a.id) }, t('alarms.ack')),
  );
}

async function ackAlarm(id) {
  try {
    await api(`/v1/console/alarms/${encodeURIComponent(id)}/ack`, { method: 'POST' });
  } catch (e) {
    report(e);
  }
}

function markAcked(id, by) {
  const li = document.querySelector(`#alarms li[data-alarm-id="${CSS.escape(id)}"]`);
  if (!li) return;
  li.classList.add('acked');
  li.querySelector('button.ack')?.remove();
  li.firstChild.append(` · ${t('alarms.acked')} ${by}`);
}

// A reason is required for every manual action: the dialog will not submit without one.
function askReason(title) {
  const dialog = $('#reason-dialog');
  $('#reason-title').textContent = title;
  $('#reason').value = '';
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.close();
      resolve(value);
    };
    const form = $('#reason-form');
    const cancel = $('#reason-cancel');
    const onSubmit = (e) => {
      e.preventDefault();
      const v = $('#reason').value.trim();
      if (v.length >= 3) done(v);
    };
    const onCancel = () => done(null);
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
  });
}

async function askOpen(lane, direction) {
  const reason = await askReason(t('reason.open', { lane, dir: t(`dir.${direction}`) }));
  if (!reason) return;
  try {
    await api(`/v1/console/lanes/${encodeURIComponent(lane)}/open`, { method: 'POST', body: { direction, reason } });
    toast(t('opened', { lane, dir: t(`dir.${direction}`) }));
    refreshCountsSoon();
  } catch (e) {
    report(e);
  }
}

async function askFree(lane, on) {
  const reason = await askReason(t('reason.free', { lane }));
  if (!reason) return;
  try {
    await api(`/v1/console/lanes/${encodeURIComponent(lane)}/free-passage`, { method: 'POST', body: { on, reason } });
  } catch (e) {
    report(e);
  }
}

// ---------- live updates (SSE) ----------

function setLive(on) {
  const n = $('#live');
  n.className = `live ${on ? 'on' : 'off'}`;
  n.dataset.i18n = on ? 'live.on' : 'live.off';
  n.textContent = t(n.dataset.i18n);
}

function connectLive() {
  state.source?.close();
  const source = new EventSource('/v1/live');
  state.source = source;
  const on = (name, fn) => source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  source.onopen = () => setLive(true);
  source.onerror = async () => {
    setLive(false);
    // The browser retries by itself; if the session is gone, go back to the login instead.
    await api('/v1/auth/me').catch(() => {});
  };
  on('hello', (h) => {
    setLive(true);
    for (const l of h.lanes) state.lanes.set(l.lane, l);
    renderLanes();
  });
  on('decision', (d) => {
    const body = $('#decisions tbody');
    body.prepend(decisionRow(d, true));
    while (body.children.length > MAX_DECISIONS) body.lastChild.remove();
    if (d.decision === 'deny') refreshCountsSoon();
  });
  on('passage', () => refreshCountsSoon());
  on('alarm', (a) => {
    $('#alarms').prepend(alarmItem(a));
    $('#no-alarms').hidden = true;
  });
  on('alarm-ack', (a) => markAcked(a.id, a.by));
  on('lane', (s) => {
    const l = state.lanes.get(s.lane) ?? { lane: s.lane, links: {} };
    state.lanes.set(s.lane, { ...l, phase: s.state, freePassage: s.freePassage, degraded: s.degraded });
    renderLanes();
  });
  on('link', (k) => {
    const l = state.lanes.get(k.lane);
    if (!l) return;
    l.links = { ...l.links, [k.side ? `${k.device}:${k.side}` : k.device]: k.state };
    renderLanes();
  });
  on('fire', (f) => {
    $('#fire-banner').hidden = !f.active;
  });
}

// ---------- security: search, export, detail, watchlist ----------

function filterFromForm() {
  const f = new FormData($('#search-form'));
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

function resultRow(e) {
  return el(
    'tr',
    { class: e.decision ?? '', dataset: { eventId: e.id } },
    el('td', {}, dateTime(e.ts)),
    el('td', {}, hasLabel(`type.${e.type}`) ? t(`type.${e.type}`) : e.type),
    el('td', {}, e.lane ?? ''),
    el('td', {}, e.direction ? t(`dir.${e.direction}`) : ''),
    el('td', {}, e.credential ? t(`cred.${e.credential}`) : ''),
    el('td', { class: 'decision' }, e.decision ? t(`dec.${e.decision}`) : ''),
    // An alarm has no reason code: its kind says what happened.
    el(
      'td',
      { class: 'reason' },
      e.reason ? reasonInWords(e.reason) : e.type === 'alarm' && e.facts?.kind ? alarmInWords(e.facts.kind) : '',
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

async function runSearch(append) {
  const filter = append ? state.lastFilter : filterFromForm();
  state.lastFilter = filter;
  const body = { ...filter, limit: 50, ...(append && state.nextCursor ? { cursor: state.nextCursor } : {}) };
  const r = await api('/v1/security/search', { method: 'POST', body });
  const tbody = $('#results tbody');
  if (append) tbody.append(...r.events.map(resultRow));
  else tbody.replaceChildren(...r.events.map(resultRow));
  state.nextCursor = r.nextCursor;
  $('#more').hidden = !r.nextCursor;
  $('#result-count').textContent = t('f.rows', { n: tbody.children.length });
}

$('#search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  runSearch(false).catch(report);
});
$('#more').addEventListener('click', () => runSearch(true).catch(report));

$('#export').addEventListener('click', async () => {
  try {
    const res = await api('/v1/security/export', { method: 'POST', body: filterFromForm(), raw: true });
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'gate06-export.csv';
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    toast(t('f.exported', { n: res.headers.get('x-row-count') ?? '?' }));
  } catch (e) {
    report(e);
  }
});

$('#watchlist').addEventListener('click', async () => {
  try {
    const r = await api('/v1/security/watchlist-hits');
    $('#results tbody').replaceChildren(...r.events.map(resultRow));
    $('#more').hidden = true;
    $('#result-count').textContent = t('f.rows', { n: r.events.length });
  } catch (e) {
    report(e);
  }
});

async function openDetail(id) {
  try {
    const d = await api(`/v1/security/events/${encodeURIComponent(id)}`);
    $('#detail').replaceChildren(...renderEventDetail(d, { onOpen: openDetail }));
    $('#detail').hidden = false;
  } catch (err) {
    report(err);
  }
}

/** The reason filter lists every code in words, so a security officer need not know the codes. */
function fillReasonFilter() {
  const select = $('#search-reason');
  const chosen = select.value;
  select.replaceChildren(
    el('option', { value: '' }, t('any')),
    ...Object.keys(REASON_WORDS).map((code) => el('option', { value: code }, inWords(REASON_WORDS, code))),
  );
  select.value = chosen;
}

// ---------- admin: audit log ----------

async function loadAudit() {
  const r = await api('/v1/admin/audit?limit=200');
  $('#audit tbody').replaceChildren(
    ...r.entries.map((a) =>
      el(
        'tr',
        { dataset: { action: a.action } },
        el('td', {}, dateTime(a.ts)),
        el('td', {}, a.actor),
        el('td', {}, a.role),
        el('td', { class: 'action' }, a.action),
        el('td', {}, JSON.stringify(a.filter)),
        el('td', { class: 'rows' }, a.rows),
        el('td', {}, a.outcome),
      ),
    ),
  );
}
$('#audit-refresh').addEventListener('click', () => loadAudit().catch(report));

// ---------- start ----------

setLang(currentLang());
$('#lang').textContent = currentLang() === 'vi' ? 'EN' : 'VI';
applyLabels(document);
fillReasonFilter();
fetch('/v1/auth/me', { credentials: 'same-origin', cache: 'no-store' })
  .then((r) => (r.ok ? r.json().then(enter) : showLogin()))
  .catch(showLogin);
