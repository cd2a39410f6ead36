// @ts-check
// One event as a security officer reads it: every fact the store wrote, labelled in words, codes in words with
// the code beside them, and the events it caused or was caused by. A fact this page does not know yet (a newer
// gateway's) still shows, under its own key: nothing in the log is hidden from the person reading it.
import { alarmInWords, el, reasonInWords } from './dom.js';
import { scoreAgainstThreshold } from './face.js';
import { formatDateTime, hasLabel, t } from './i18n.js';
import { currentRole } from './role.js';

/**
 * @typedef {import('./api-types.js').EventDetail} EventDetail
 * @typedef {import('./api-types.js').LogEvent} LogEvent
 * @typedef {import('./dom.js').Child} Child
 * @typedef {(value: unknown) => Child} FactFormat
 * @typedef {(id: string) => void} OpenEvent
 */

/**
 * A value with a label of its own (`v.pa.ok`), else the value as written.
 * @param {string} group
 * @returns {FactFormat}
 */
const enumValue = (group) => (v) => (hasLabel(`v.${group}.${v}`) ? t(`v.${group}.${v}`) : String(v));
/** @type {FactFormat} */
const yesNo = (v) => t(v ? 'yes' : 'no');
/** @type {FactFormat} */
const onOff = (v) => t(v ? 'on' : 'off');
/** @type {FactFormat} */
const score = (v) => (typeof v === 'number' ? v.toFixed(3) : String(v));
/** @type {FactFormat} */
const direction = (v) => (hasLabel(`dir.${v}`) ? t(`dir.${v}`) : String(v));
/** @type {(v: unknown) => string} */
const credentialOrVia = (v) =>
  hasLabel(`cred.${v}`) ? t(`cred.${v}`) : hasLabel(`v.via.${v}`) ? t(`v.via.${v}`) : String(v);
/** @type {FactFormat} */
const credentialList = (v) => String(v).split(',').map(credentialOrVia).join(', ');
/** @type {FactFormat} */
const reasonValue = (v) => reasonInWords(String(v), { withCode: true });
/** @type {FactFormat} */
const alarmValue = (v) => alarmInWords(String(v), { withCode: true });
/** @type {FactFormat} */
const mono = (v) => el('code', {}, String(v));

/**
 * The facts the gateway writes (decision service, chip and face checks, lane controller, alarms, console
 * routes), in the order an officer reads them: what was shown, what the checks found, who acted and why.
 * Each is [key, label key, how the value reads].
 * @type {Array<[string, string, FactFormat?]>}
 */
const FACTS = [
  // ticket
  ['tid', 'fact.tid', mono],
  ['ticketKind', 'fact.ticketKind'],
  ['binding', 'fact.binding', enumValue('binding')],
  ['supporting', 'fact.supporting', credentialList],
  // chip and printed QR
  ['pa', 'fact.pa', enumValue('pa')],
  ['paFailure', 'fact.paFailure', reasonValue],
  ['readError', 'fact.readError', enumValue('readError')],
  ['document', 'fact.document', enumValue('document')],
  ['photo', 'fact.photo', enumValue('photo')],
  ['claimed', 'fact.claimed', yesNo],
  // face
  ['faceScore', 'fact.faceScore', score],
  ['faceThreshold', 'fact.faceThreshold', score],
  ['faceMatch', 'fact.faceMatch', enumValue('faceMatch')],
  ['faceDetail', 'fact.faceDetail', enumValue('faceDetail')],
  ['referencePhoto', 'fact.referencePhoto', reasonValue],
  ['liveness', 'fact.liveness', enumValue('liveness')],
  ['livenessScore', 'fact.livenessScore', score],
  ['livenessFlagged', 'fact.livenessFlagged', yesNo],
  ['livenessNonRigid', 'fact.livenessNonRigid', score],
  ['livenessBlink', 'fact.livenessBlink', score],
  ['livenessMouth', 'fact.livenessMouth', score],
  ['livenessRigid', 'fact.livenessRigid', score],
  ['livenessModel', 'fact.livenessModel', score],
  ['faceEvidence', 'fact.faceEvidence', mono],
  ['watchlistHit', 'fact.watchlistHit', yesNo],
  // people acting on the lane: manual open, free passage, acknowledgements
  ['by', 'fact.by'],
  ['why', 'fact.why'],
  ['requested', 'fact.requested', onOff],
  ['open', 'fact.open', onOff],
  ['fire', 'fact.fire', yesNo],
  ['operator', 'fact.operator', yesNo],
  ['active', 'fact.active', onOff],
  ['action', 'fact.action', enumValue('action')],
  // alarms and passages
  ['kind', 'fact.kind', alarmValue],
  ['alarm', 'fact.alarm', alarmValue],
  ['direction', 'fact.direction', direction],
  ['device', 'fact.device'],
  ['via', 'fact.via', credentialOrVia],
  ['walkedAway', 'fact.walkedAway', yesNo],
  ['alarmId', 'fact.alarmId', mono],
  // the gate's own trouble: the log, the disk, the outbox, the clock
  ['problem', 'fact.problem', enumValue('problem')],
  ['freeMb', 'fact.freeMb'],
  ['freePercent', 'fact.freePercent'],
  ['percent', 'fact.percent'],
  ['capacity', 'fact.capacity'],
  ['stepMs', 'fact.stepMs'],
  ['failuresInARow', 'fact.failuresInARow'],
  ['walMb', 'fact.walMb'],
  ['what', 'fact.what'],
  ['error', 'fact.error'],
  // anonymous categories, then the technical rest
  ['nationality', 'fact.nationality', enumValue('nationality')],
  ['ageBand', 'fact.ageBand'],
  ['sex', 'fact.sex', enumValue('sex')],
  ['source', 'fact.source', enumValue('source')],
  ['kid', 'fact.kid', mono],
  ['hashAlgorithm', 'fact.hashAlgorithm'],
  ['detail', 'fact.detail'],
];
/**
 * Facts naming another event: shown as a link to that event's detail.
 * @type {Array<[string, string]>}
 */
const EVENT_LINKS = [
  ['eventId', 'fact.eventId'],
  ['passageId', 'fact.passageId'],
];
const KNOWN = new Set([...FACTS.map(([k]) => k), ...EVENT_LINKS.map(([k]) => k)]);

/**
 * @param {string} label
 * @param {Child} value
 * @param {string} key
 */
const row = (label, value, key) => [el('dt', {}, label), el('dd', { dataset: { fact: key } }, value)];
/** @type {(v: unknown) => string} */
const plain = (v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * @param {string} id
 * @param {OpenEvent} onOpen
 */
function eventLink(id, onOpen) {
  return el('button', { type: 'button', class: 'link', dataset: { eventId: id }, onclick: () => onOpen(id) }, id);
}

/**
 * An event in the list of related ones: what it was, when, and a way to open it.
 * @param {LogEvent} r
 * @param {OpenEvent} onOpen
 */
function relatedItem(r, onOpen) {
  const what = r.type === 'alarm' && r.facts?.kind ? alarmInWords(String(r.facts.kind)) : null;
  return el(
    'li',
    { dataset: { eventId: r.id, type: r.type } },
    el('strong', {}, hasLabel(`type.${r.type}`) ? t(`type.${r.type}`) : r.type),
    ' · ',
    formatDateTime(r.ts),
    r.direction ? ` · ${t(`dir.${r.direction}`)}` : '',
    r.facts?.by ? ` · ${t('fact.by')}: ${r.facts.by}` : '',
    what ? [' · ', what] : null,
    ' ',
    el('button', { type: 'button', class: 'small secondary', onclick: () => onOpen(r.id) }, t('detail.view')),
  );
}

/**
 * The detail panel's children for GET /v1/security/events/:id's answer; `onOpen(id)` opens another event.
 * @param {EventDetail} d
 * @param {{ onOpen: OpenEvent }} options
 * @returns {HTMLElement[]}
 */
export function renderEventDetail(d, { onOpen }) {
  const e = d.event;
  const facts = e.facts ?? {};
  const rows = [
    row(t('col.time'), formatDateTime(e.ts), 'time'),
    row(t('col.type'), hasLabel(`type.${e.type}`) ? t(`type.${e.type}`) : e.type, 'type'),
    e.lane ? row(t('col.lane'), e.lane, 'lane') : null,
    e.direction ? row(t('col.direction'), direction(e.direction), 'direction') : null,
    e.decision ? row(t('col.decision'), t(`dec.${e.decision}`), 'decision') : null,
    e.reason ? row(t('col.reason'), reasonInWords(e.reason, { withCode: true }), 'reason') : null,
    e.credential ? row(t('col.credential'), credentialOrVia(e.credential), 'credential') : null,
    e.idMasked ? row(t('col.id'), e.idMasked, 'idMasked') : null,
  ];
  // A face decision's verdict in one line before its numbers: the score against the threshold it had to reach.
  if (typeof facts.faceScore === 'number' || typeof facts.faceThreshold === 'number')
    rows.push(row(t('fact.faceVerdict'), scoreAgainstThreshold(facts.faceScore, facts.faceThreshold), 'faceVerdict'));
  for (const [key, label, format] of FACTS) {
    if (facts[key] === undefined || facts[key] === null || facts[key] === '') continue;
    rows.push(row(t(label), format ? format(facts[key]) : plain(facts[key]), key));
  }
  for (const [key, label] of EVENT_LINKS)
    if (typeof facts[key] === 'string') rows.push(row(t(label), eventLink(facts[key], onOpen), key));
  for (const [key, value] of Object.entries(facts)) if (!KNOWN.has(key)) rows.push(row(key, plain(value), key));

  // An alarm's acknowledgement is its own event pointing back at it: who acknowledged, and when.
  for (const ack of d.related.filter((r) => r.facts?.action === 'alarm-acknowledged'))
    rows.push(row(t('detail.acked'), `${ack.facts?.by ?? ''} · ${formatDateTime(ack.ts)}`, 'acknowledged'));

  if (e.latencyMs !== null && e.latencyMs !== undefined)
    rows.push(row(t('detail.latency'), `${e.latencyMs.toFixed(1)} ms`, 'latency'));
  rows.push(row(t('detail.eventId'), mono(e.id), 'eventId'));
  rows.push(
    row(
      t('detail.chain'),
      [`#${e.seq}`, ' ', el('span', { class: 'muted small' }, `(${t('detail.boot')} ${String(e.bootId).slice(0, 8)})`)],
      'chain',
    ),
  );

  const linked = [
    d.cause ? el('p', {}, el('strong', {}, t('detail.cause')), ' ') : null,
    d.cause ? el('ul', { class: 'related cause' }, relatedItem(d.cause, onOpen)) : null,
    d.related.length ? el('p', {}, el('strong', {}, t('detail.related'))) : null,
    d.related.length
      ? el(
          'ul',
          { class: 'related' },
          d.related.map((r) => relatedItem(r, onOpen)),
        )
      : null,
  ];
  // A flat list of nodes: replaceChildren, like append, would print a nested array as "[object HTMLElement]".
  return [
    el('h2', {}, t('detail.title')),
    el('dl', { class: 'facts' }, rows),
    ...linked,
    facePhotosPart(e),
    personalPart(d.personal),
  ].filter((n) => n !== null);
}

/**
 * A face decision's camera frame beside its reference photo, for the security role only and only on request:
 * each picture is fetched from the gateway (which audits the view) when the officer asks for it.
 * @param {LogEvent} e
 */
function facePhotosPart(e) {
  if (typeof e.facts?.faceEvidence !== 'string' || currentRole() !== 'security') return null;
  const base = `/v1/security/events/${encodeURIComponent(e.id)}/face-photo`;
  const withReference = e.facts.faceMatch === 'document-photo';
  const box = el('div', { class: 'face-photos', id: 'face-photos' });
  /** @param {'live' | 'reference'} which */
  const figure = (which) => {
    const note = el('figcaption', {}, t(`face.photos.${which}`));
    const img = el('img', {
      src: `${base}/${which}`,
      alt: t(`face.photos.${which}`),
      dataset: { photo: which },
      onerror: () =>
        img.replaceWith(el('p', { class: 'muted small', dataset: { photoGone: which } }, t('face.photos.none'))),
    });
    return el('figure', {}, img, note);
  };
  const button = el(
    'button',
    {
      type: 'button',
      class: 'small',
      id: 'face-photos-show',
      onclick: () => {
        button.remove();
        box.append(figure('live'));
        if (withReference) box.append(figure('reference'));
      },
    },
    t('face.photos.show'),
  );
  return el('div', { class: 'personal' }, el('strong', {}, t('face.photos')), ' ', button, box);
}

/** @param {EventDetail['personal']} p */
function personalPart(p) {
  if (p.state !== 'shown') return el('p', { class: 'muted small' }, t(`personal.${p.state}`));
  return el(
    'div',
    { class: 'personal' },
    el('strong', {}, t('detail.personal')),
    el(
      'dl',
      {},
      el('dt', {}, t('detail.name')),
      el('dd', { id: 'detail-name' }, p.name ?? ''),
      el('dt', {}, t('detail.idNumber')),
      el('dd', { id: 'detail-id' }, p.idNumber ?? ''),
    ),
  );
}
