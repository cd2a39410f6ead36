// @ts-check
// The live stream (server-sent events on /v1/live): decisions, passages, alarms, lane and link states and the
// fire alarm as they happen, and the indicator that says whether the console is still connected.
import { addAlarm, markAcked } from './alarms.js';
import { api } from './api.js';
import { $ } from './dom.js';
import { t } from './i18n.js';
import {
  addDecision,
  refreshCountsSoon,
  replaceLanes,
  updateChipPrompt,
  updateFacePrompt,
  updateLane,
  updateLink,
} from './lanes.js';

/** @typedef {import('./api-types.js').LiveEvents} LiveEvents */

/** @type {EventSource | null} */
let source = null;

/** @param {boolean} on */
export function setLive(on) {
  const n = $('#live');
  n.className = `live ${on ? 'on' : 'off'}`;
  n.dataset.i18n = on ? 'live.on' : 'live.off';
  n.textContent = t(n.dataset.i18n);
}

export function disconnectLive() {
  source?.close();
  source = null;
  setLive(false);
}

export function connectLive() {
  source?.close();
  const stream = new EventSource('/v1/live');
  source = stream;
  /**
   * @template {keyof LiveEvents} K
   * @param {K} name
   * @param {(payload: LiveEvents[K]) => void} fn
   */
  const on = (name, fn) =>
    stream.addEventListener(name, (e) => {
      // The server writes these; a malformed one is a server bug, reported in the browser's console only.
      /** @type {LiveEvents[K]} */
      let payload;
      try {
        payload = JSON.parse(/** @type {MessageEvent<string>} */ (e).data);
      } catch (err) {
        console.warn(`live: unreadable ${name} event`, err);
        return;
      }
      fn(payload);
    });
  stream.onopen = () => setLive(true);
  stream.onerror = () => {
    setLive(false);
    // The browser retries by itself; if the session is gone, the API client goes back to the login instead.
    api('/v1/auth/me').catch(() => {});
  };
  on('hello', (h) => {
    setLive(true);
    replaceLanes(h.lanes);
  });
  on('decision', addDecision);
  on('passage', () => refreshCountsSoon());
  on('alarm', addAlarm);
  on('alarm-ack', (a) => markAcked(a.id, a.by));
  on('lane', updateLane);
  on('link', updateLink);
  on('chip-prompt', updateChipPrompt);
  on('face-prompt', updateFacePrompt);
  on('fire', (f) => {
    $('#fire-banner').hidden = !f.active;
  });
}
