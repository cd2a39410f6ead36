// @ts-check
// Building the console's DOM from server data. Everything goes in as text nodes or attributes, never as
// HTML, so nothing the log holds (a reason typed by an operator, a device name) can run as markup.
import { ALARM_WORDS, inWords, REASON_WORDS } from './words.js';

/**
 * A child of el(): a node, text (numbers are written as text), nothing, or a nested list of these.
 * @typedef {Node | string | number | null | undefined | false | ChildList} Child
 * @typedef {ReadonlyArray<Child>} ChildList
 */

/**
 * Attributes of el(): `class`, `dataset` (an object), `on<event>` listeners, other attributes as strings.
 * @typedef {Record<string, unknown>} Attrs
 */

/**
 * The one element of the page a selector names. The page is ours, so a missing one is a bug in the page:
 * it fails loudly here rather than as "cannot read properties of null" somewhere later.
 * @template {Element} [E=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {E}
 */
export function $(selector, root = document) {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`the console page has no ${selector}`);
  return /** @type {E} */ (node);
}

/**
 * createElement with attributes and children; strings become text nodes, arrays of children are flattened.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = String(v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  // Flattened to any depth: a nested list of nodes must never reach append() as an array, which the DOM would
  // turn into the text "[object HTMLElement]" (the event detail once showed exactly that).
  for (const c of /** @type {unknown[]} */ (children).flat(Number.POSITIVE_INFINITY)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/**
 * A reason code or alarm kind as a person reads it, Vietnamese first then English, with the code as the
 * tooltip and in data-code for support; `withCode` also prints the code in small type after the words.
 * @param {Readonly<Record<string, import('./words.js').Words>>} table
 * @param {string | null | undefined} code
 * @param {boolean} withCode
 * @returns {HTMLSpanElement | ''}
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

/** @param {string | null | undefined} code @param {{ withCode?: boolean }} [options] */
export const reasonInWords = (code, { withCode = false } = {}) => coded(REASON_WORDS, code, withCode);
/** @param {string | null | undefined} kind @param {{ withCode?: boolean }} [options] */
export const alarmInWords = (kind, { withCode = false } = {}) => coded(ALARM_WORDS, kind, withCode);
