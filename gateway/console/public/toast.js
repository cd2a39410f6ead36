// @ts-check
// Short messages to the operator at the top of the page: what just happened, or why an action failed.
import { $ } from './dom.js';
import { t } from './i18n.js';

const TOAST_MS = 4000;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/** @param {string} message */
export function toast(message) {
  const n = $('#toast');
  n.textContent = message;
  n.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    n.hidden = true;
  }, TOAST_MS);
}

/**
 * Tells the operator why a request failed. A 401 says nothing: the API client has already gone back to the
 * login, which says it better.
 * @param {unknown} err
 */
export function report(err) {
  const status = err instanceof Object && 'status' in err ? err.status : undefined;
  if (status === 401) return;
  const message = err instanceof Error ? err.message : String(err);
  toast(status === 403 ? t('err.forbidden') : t('err.generic', { msg: message }));
}
