// @ts-check
// A reason is required for every manual action: the dialog will not submit without one, and the server
// refuses one shorter than 3 characters too.
import { $ } from './dom.js';

const MIN_REASON_LENGTH = 3;

/**
 * Asks for the reason of a manual action; the reason typed, or null when the operator cancels.
 * @param {string} title
 * @returns {Promise<string | null>}
 */
export function askReason(title) {
  /** @type {HTMLDialogElement} */
  const dialog = $('#reason-dialog');
  /** @type {HTMLTextAreaElement} */
  const reason = $('#reason');
  const form = $('#reason-form');
  const cancel = $('#reason-cancel');
  $('#reason-title').textContent = title;
  reason.value = '';
  dialog.showModal();
  return new Promise((resolve) => {
    /** @param {string | null} value */
    const done = (value) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.close();
      resolve(value);
    };
    /** @param {Event} e */
    const onSubmit = (e) => {
      e.preventDefault();
      const v = reason.value.trim();
      if (v.length >= MIN_REASON_LENGTH) done(v);
    };
    const onCancel = () => done(null);
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
  });
}
