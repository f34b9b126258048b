// dom.js: building DOM nodes. h() and svg() make elements from attributes
// and children; text is always set as text, never parsed as HTML, so names
// from the LAN (devices, DHCP host names, sites) cannot inject markup.

export const $ = (sel, root) => (root || document).querySelector(sel);
export const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

// Attributes set as properties, after the children (so that a select's
// value finds its option).
const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'indeterminate']);

// h builds an HTML element: h('button', {class: 'x', onclick: fn}, 'text', child, [more]).
// null, undefined and false attributes and children are skipped.
export function h(tag, attrs, ...kids) {
  return build(document.createElement(tag), attrs, kids);
}

// svg builds an SVG element the same way.
export function svg(tag, attrs, ...kids) {
  return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, kids);
}

function build(el, attrs, kids) {
  const props = [];
  for (const k in attrs || {}) {
    const v = attrs[k];
    if (v == null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (PROPS.has(k)) props.push([k, v]);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, kids);
  for (const [k, v] of props) el[k] = v;
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}

let uid = 0;
export const newId = (p) => (p || 'id') + '-' + (++uid);
