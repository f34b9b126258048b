// i18n.js: the page's strings. Every visible string is a catalog id
// (page.*, loaded from /api/v1/i18n into S.msgs by app.js) looked up with
// t(); the page shell's fixed texts carry data-i18n attributes.

import { $, $$, h } from './dom.js';
import { S } from './state.js';

// t returns message id with {name} placeholders filled from p. A missing
// id shows as itself, so it is visible in tests.
export function t(id, p) {
  let m = S.msgs[id];
  if (m == null) m = id;
  if (p) m = m.replace(/\{(\w+)\}/g, (all, k) => (k in p ? String(p[k]) : all));
  return m;
}

// has reports whether the catalog has id (for optional per-value strings).
export const has = (id) => S.msgs[id] != null;

// label returns the translated name of a value (page.<group>.<value>), or
// the value itself for one the catalog does not know (a custom profile).
export const label = (group, v) => (has('page.' + group + '.' + v) ? t('page.' + group + '.' + v) : v);
// translateStatic fills the page shell's data-i18n elements.
export function translateStatic() {
  document.title = t('page.title');
  for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of $$('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  const sel = $('#lang');
  sel.replaceChildren(...S.languages.map((l) => h('option', { value: l, lang: l }, t('lang.' + l))));
  sel.value = S.lang;
}
