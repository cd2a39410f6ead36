// @ts-check
// The console's client of the gateway's API: same origin only (CSP connect-src 'self'), the session cookie,
// and the CSRF token of the session in a header on every request that changes something.

/** An answer other than 2xx, with the status for callers to test (403 is "not your role", 429 "slow down"). */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {{ message?: string } | null} body
   */
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
  }
}

let csrfToken = '';
/** @type {() => void} */
let sessionEnded = () => {};

/** The CSRF token of the session just opened (from the login or /v1/auth/me answer). */
export function useCsrfToken(/** @type {string} */ token) {
  csrfToken = token;
}

/** What to do when the server says the session is gone (401): the console goes back to its login. */
export function onSessionEnded(/** @type {() => void} */ fn) {
  sessionEnded = fn;
}

/**
 * @typedef {object} RequestOptions
 * @property {'GET' | 'POST'} [method]
 * @property {unknown} [body] sent as JSON
 */

/**
 * A JSON request; the answer's JSON (null for 204). Throws HttpError for any other status than 2xx.
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  const res = await request(path, options);
  return res.status === 204 ? null : res.json();
}

/**
 * The same request, answering the Response itself (a CSV download reads its headers and body).
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<Response>}
 */
export async function request(path, { method = 'GET', body } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 401 && !path.startsWith('/v1/auth/login')) {
    sessionEnded();
    throw new HttpError(401, { message: 'session ended' });
  }
  if (!res.ok) throw new HttpError(res.status, await res.json().catch(() => null));
  return res;
}
