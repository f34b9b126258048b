// toast.js: announcements in the page's live regions (#status, #alert),
// shown as toasts.

import { $ } from './dom.js';

// say announces a result in the live region (and shows it as a toast).
export function say(text, kind, code) {
  const box = $(kind === 'error' ? '#alert' : '#status');
  const other = $(kind === 'error' ? '#status' : '#alert');
  other.textContent = '';
  box.textContent = '';
  box.textContent = text;
  box.dataset.code = code || '';
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { box.textContent = ''; }, kind === 'error' ? 10000 : 5000);
}

export const sayError = (e) => say(e && e.message ? e.message : String(e), 'error', e && e.code);
