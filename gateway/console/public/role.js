// @ts-check
// The signed-in person's role, for the few parts of a page that only one role sees (the face photos: the
// security role only). The server decides and audits; this only spares other roles a button that would 403.

/** @type {import('./api-types.js').Role | null} */
let role = null;

/** @param {import('./api-types.js').Role | null} next */
export function setRole(next) {
  role = next;
}

export const currentRole = () => role;
