// @ts-check
// The lanes view: each lane's state and links, today's counts, recent decisions, and the lane actions an
// operator takes by hand (open once, free passage), each with a required reason.
import { showAlarms } from './alarms.js';
import { api } from './api.js';
import { $, el, reasonInWords } from './dom.js';
import { faceCell, facePromptWords } from './face.js';
import { formatTime, t } from './i18n.js';
import { askReason } from './reason-dialog.js';
import { fillLaneFilter } from './search.js';
import { report, toast } from './toast.js';

/**
 * @typedef {import('./api-types.js').LaneView} LaneView
 * @typedef {import('./api-types.js').TodayCounts} TodayCounts
 * @typedef {import('./api-types.js').Decision} Decision
 * @typedef {import('./api-types.js').ConsoleState} ConsoleState
 * @typedef {import('./api-types.js').LiveEvents} LiveEvents
 */

const MAX_DECISIONS = 30;
// Counts are re-read a moment after a passage or a denial, so a burst of them costs one request.
const COUNTS_REFRESH_DELAY_MS = 500;

/** @type {Map<string, LaneView>} */
let lanes = new Map();

/** Everything the lanes view shows, from the server afresh (on login and on a change of language). */
export async function loadState() {
  /** @type {ConsoleState} */
  const s = await api('/v1/console/state');
  $('#site-name').textContent = `${s.site.name || s.site.id} · ${s.gate}`;
  lanes = new Map(s.lanes.map((l) => [l.lane, l]));
  renderLanes();
  renderCounts(s.counts);
  showAlarms(s.alarms);
  $('#decisions tbody').replaceChildren(...s.recent.map((d) => decisionRow(d, false)));
  fillLaneFilter(s.lanes.map((l) => l.lane));
}

function renderLanes() {
  $('#lanes').replaceChildren(...[...lanes.values()].map(laneCard));
}

/** @param {LaneView} l */
function laneCard(l) {
  const links = Object.entries(l.links ?? {}).map(([dev, st]) => el('span', { class: `badge ${st}` }, `${dev}: ${st}`));
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
    l.chipPrompt
      ? el(
          'p',
          { class: 'chip-prompt', dataset: { step: l.chipPrompt.step } },
          `${t(`dir.${l.chipPrompt.direction}`)}: ${t(`chip.${l.chipPrompt.step}`)}`,
        )
      : null,
    l.facePrompt
      ? el(
          'p',
          { class: 'face-prompt', dataset: { step: l.facePrompt.step, direction: l.facePrompt.direction } },
          `${t(`dir.${l.facePrompt.direction}`)}: ${facePromptWords(l.facePrompt.step)}`,
        )
      : null,
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
}

/** @param {TodayCounts} c */
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

/** @type {ReturnType<typeof setTimeout> | undefined} */
let countsTimer;
export function refreshCountsSoon() {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(() => api('/v1/console/counts').then(renderCounts).catch(report), COUNTS_REFRESH_DELAY_MS);
}

/**
 * @param {Decision} d
 * @param {boolean} fresh highlighted: it came in while the operator watched
 */
function decisionRow(d, fresh) {
  return el(
    'tr',
    { class: `${d.decision}${fresh ? ' fresh' : ''}`, dataset: { eventId: d.eventId } },
    el('td', {}, formatTime(d.ts)),
    el('td', {}, d.lane),
    el('td', {}, t(`dir.${d.direction}`)),
    el('td', {}, t(`cred.${d.credential}`)),
    el('td', { class: 'decision' }, t(`dec.${d.decision}`)),
    el('td', { class: 'reason' }, reasonInWords(d.reason)),
    el('td', {}, d.idMasked ?? ''),
    faceCell(d),
  );
}

/** A decision from the live stream, on top; the list keeps the last MAX_DECISIONS. @param {Decision} d */
export function addDecision(d) {
  const body = $('#decisions tbody');
  body.prepend(decisionRow(d, true));
  while (body.children.length > MAX_DECISIONS) body.lastElementChild?.remove();
  if (d.decision === 'deny') refreshCountsSoon();
}

/** The lanes as the live stream's hello has them (it may be newer than the state answer). @param {LaneView[]} views */
export function replaceLanes(views) {
  for (const l of views) lanes.set(l.lane, l);
  renderLanes();
}

/** @param {LiveEvents['lane']} s */
export function updateLane(s) {
  const l = lanes.get(s.lane) ?? { lane: s.lane, links: {} };
  lanes.set(s.lane, { ...l, phase: s.state, freePassage: s.freePassage, degraded: s.degraded });
  renderLanes();
}

/**
 * The person at a PC/SC chip side is told here what to do next (the readers have no display the gate drives).
 * @param {LiveEvents['chip-prompt']} p
 */
export function updateChipPrompt(p) {
  const l = lanes.get(p.lane);
  if (!l) return;
  lanes.set(p.lane, { ...l, chipPrompt: p.step === 'done' ? undefined : { direction: p.direction, step: p.step } });
  renderLanes();
}

/**
 * The person at a face side is asked to blink before the lane's one retry burst; cleared once it is taken.
 * @param {LiveEvents['face-prompt']} p
 */
export function updateFacePrompt(p) {
  const l = lanes.get(p.lane);
  if (!l) return;
  lanes.set(p.lane, { ...l, facePrompt: p.step === 'done' ? undefined : { direction: p.direction, step: p.step } });
  renderLanes();
}

/** @param {LiveEvents['link']} k */
export function updateLink(k) {
  const l = lanes.get(k.lane);
  if (!l) return;
  l.links = { ...l.links, [k.side ? `${k.device}:${k.side}` : k.device]: k.state };
  renderLanes();
}

/**
 * @param {string} lane
 * @param {'in' | 'out'} direction
 */
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

/** The lane's new state comes back on the live stream. @param {string} lane @param {boolean} on */
async function askFree(lane, on) {
  const reason = await askReason(t('reason.free', { lane }));
  if (!reason) return;
  try {
    await api(`/v1/console/lanes/${encodeURIComponent(lane)}/free-passage`, { method: 'POST', body: { on, reason } });
  } catch (e) {
    report(e);
  }
}
