// Building the console's DOM from server data. Everything goes in as text nodes or attributes, never as
// HTML, so nothing the log holds (a reason typed by an operator, a device name) can run as markup.
import { ALARM_WORDS, inWords, REASON_WORDS } from './words.js';

/** createElement with attributes and children; strings become text nodes, arrays of children are flattened. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  // Flattened to any depth: a nested list of nodes must never reach append() as an array, which the DOM would
  // turn into the text "[object HTMLElement]" (the event detail once showed exactly that).
  for (const c of children.flat(Number.POSITIVE_INFINITY)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/**
 * A reason code or alarm kind as a person reads it, Vietnamese first then English, with the code as the
 * tooltip and in data-code for support; `withCode` also prints the code in small type after the words.
 */
function coded(table, code, withCode) {
  if (!code) return '';
  return el(
    'span',
    { class: 'coded', title: code, dataset: { code } },
    inWords(table, code),
    withCode ? [' ', el('code', { class: 'code' }, code)] : null,
  );
}

export const reasonInWords = (code, { withCode = false } = {}) => coded(REASON_WORDS, code, withCode);
export const alarmInWords = (kind, { withCode = false } = {}) => coded(ALARM_WORDS, kind, withCode);
