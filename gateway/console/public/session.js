// @ts-check
// Signing in and out, and what a session may see: the tabs of the console's views follow the role.
import { api, HttpError, onSessionEnded, useCsrfToken } from './api.js';
import { loadAudit } from './audit.js';
import { $ } from './dom.js';
import { t } from './i18n.js';
import { loadState } from './lanes.js';
import { connectLive, disconnectLive } from './live.js';
import { setRole } from './role.js';
import { report } from './toast.js';

/**
 * @typedef {import('./api-types.js').Me} Me
 * @typedef {import('./api-types.js').Role} Role
 */

/** Each role includes the ones below it: an admin may do what security staff and operators do. */
const ROLE_RANK = { operator: 1, security: 2, admin: 3 };

/** @type {Me | null} */
let me = null;

export const signedIn = () => me !== null;

/** @param {string} view lanes, search, audit or login */
export function show(view) {
  for (const s of document.querySelectorAll('.view')) /** @type {HTMLElement} */ (s).hidden = s.id !== `view-${view}`;
  for (const b of document.querySelectorAll('.tab'))
    b.setAttribute('aria-current', /** @type {HTMLElement} */ (b).dataset.view === view ? 'page' : 'false');
  if (view === 'audit') loadAudit().catch(report);
}

export function showLogin() {
  me = null;
  setRole(null);
  disconnectLive();
  $('#tabs').hidden = true;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  show('login');
}

/** @param {Me} who */
export async function enter(who) {
  me = who;
  setRole(who.role);
  useCsrfToken(who.csrfToken);
  $('#who').textContent = `${who.name} · ${who.role}`;
  $('#logout').hidden = false;
  $('#tabs').hidden = false;
  for (const b of document.querySelectorAll('.tab')) {
    const tab = /** @type {HTMLElement} */ (b);
    const needs = /** @type {Role} */ (tab.dataset.role ?? 'operator');
    tab.hidden = (ROLE_RANK[needs] ?? 1) > ROLE_RANK[who.role];
  }
  show('lanes');
  await loadState();
  connectLive();
}

async function login() {
  const err = $('#login-error');
  /** @type {HTMLInputElement} */
  const name = $('#login-name');
  /** @type {HTMLInputElement} */
  const password = $('#login-password');
  err.hidden = true;
  try {
    const who = await api('/v1/auth/login', {
      method: 'POST',
      body: { name: name.value.trim(), password: password.value },
    });
    password.value = '';
    await enter(who);
  } catch (x) {
    err.textContent = x instanceof HttpError && x.status === 429 ? t('login.throttled') : t('login.failed');
    err.hidden = false;
  }
}

export function wireSession() {
  onSessionEnded(showLogin);
  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    login().catch(report);
  });
  $('#logout').addEventListener('click', () => {
    api('/v1/auth/logout', { method: 'POST' })
      .catch(() => {})
      .finally(showLogin);
  });
  for (const b of document.querySelectorAll('.tab')) {
    const tab = /** @type {HTMLElement} */ (b);
    tab.addEventListener('click', () => show(tab.dataset.view ?? 'lanes'));
  }
}

/** Resumes a session the browser still has (a reload), else shows the login. */
export async function resumeSession() {
  try {
    const res = await fetch('/v1/auth/me', { credentials: 'same-origin', cache: 'no-store' });
    if (res.ok) await enter(await res.json());
    else showLogin();
  } catch {
    showLogin();
  }
}
