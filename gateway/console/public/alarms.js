// @ts-check
// The alarm list of the lanes view: alarms as they come, and acknowledging one (an operator's job).
import { api } from './api.js';
import { $, alarmInWords, el } from './dom.js';
import { formatTime, t } from './i18n.js';
import { report } from './toast.js';

/** @typedef {import('./api-types.js').Alarm} Alarm */

/** @param {Alarm} a */
function alarmItem(a) {
  const acked = a.acknowledged;
  return el(
    'li',
    { class: acked ? 'acked' : '', dataset: { alarmId: a.id, kind: a.kind } },
    el(
      'span',
      {},
      el('strong', {}, alarmInWords(a.kind)),
      ` · ${a.lane ?? '—'} · ${formatTime(a.ts)}`,
      acked ? ` · ${t('alarms.acked')} ${acked.by}` : '',
    ),
    acked ? null : el('button', { type: 'button', class: 'small ack', onclick: () => ackAlarm(a.id) }, t('alarms.ack')),
  );
}

/** The whole list, as the state answer has it (newest first). @param {Alarm[]} alarms */
export function showAlarms(alarms) {
  $('#alarms').replaceChildren(...alarms.map(alarmItem));
  $('#no-alarms').hidden = alarms.length > 0;
}

/** A new alarm from the live stream, on top. @param {Alarm} alarm */
export function addAlarm(alarm) {
  $('#alarms').prepend(alarmItem(alarm));
  $('#no-alarms').hidden = true;
}

/** The acknowledgement comes back on the live stream, to every console, so the list changes only then. */
async function ackAlarm(/** @type {string} */ id) {
  try {
    await api(`/v1/console/alarms/${encodeURIComponent(id)}/ack`, { method: 'POST' });
  } catch (e) {
    report(e);
  }
}

/**
 * @param {string} id
 * @param {string} by
 */
export function markAcked(id, by) {
  const li = document.querySelector(`#alarms li[data-alarm-id="${CSS.escape(id)}"]`);
  if (!li) return;
  li.classList.add('acked');
  li.querySelector('button.ack')?.remove();
  /** @type {HTMLElement | null} */ (li.firstElementChild)?.append(` · ${t('alarms.acked')} ${by}`);
}
