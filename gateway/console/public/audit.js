// @ts-check
// The admin view: the audit log of who read or changed what (searches, exports, manual opens, refusals).
import { api } from './api.js';
import { $, el } from './dom.js';
import { formatDateTime } from './i18n.js';
import { report } from './toast.js';

const AUDIT_ROWS = 200;

export async function loadAudit() {
  /** @type {{ entries: import('./api-types.js').AuditEntry[] }} */
  const r = await api(`/v1/admin/audit?limit=${AUDIT_ROWS}`);
  $('#audit tbody').replaceChildren(
    ...r.entries.map((a) =>
      el(
        'tr',
        { dataset: { action: a.action } },
        el('td', {}, formatDateTime(a.ts)),
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

export function wireAudit() {
  $('#audit-refresh').addEventListener('click', () => loadAudit().catch(report));
}
