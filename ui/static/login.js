// login.js: the first-run setup form and the login form, with the
// router's lockout shown as a wait.

import { h } from './dom.js';
import { S } from './state.js';
import { t } from './i18n.js';
import { at, now } from './time.js';
import { API } from './api.js';
import { go, home } from './router.js';
import { loadSession, loggedIn } from './session.js';
import { field, icon, showFieldErrors } from './widgets.js';

export function viewSetup() {
  return authForm('setup');
}

export function viewLogin() {
  return authForm('login');
}

async function authForm(mode) {
  const info = mode === 'setup' ? await API.setupInfo() : null;
  if (info) S.csrf = info.csrf_token || S.csrf;
  const pw = h('input', { name: 'password', type: 'password', required: true, autocomplete: mode === 'setup' ? 'new-password' : 'current-password', 'data-key': 'password' });
  const code = info && info.setup_code_required ? h('input', { name: 'setup_code', autocomplete: 'off', required: true, 'data-key': 'setup_code' }) : null;
  const submit = h('button', { type: 'submit', class: 'btn primary', 'data-key': 'submit' }, t(mode === 'setup' ? 'page.submit_setup' : 'page.submit_login'));
  const lockMsg = h('p', { class: 'lockout', role: 'status' });
  const form = h('form', { class: 'card auth', novalidate: true, onsubmit: onSubmit },
    h('h1', null, t(mode === 'setup' ? 'page.setup_title' : 'page.login_title')),
    // one admin account: the name only helps password managers
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: 'admin', hidden: true, readonly: true, tabindex: '-1', 'aria-hidden': 'true' }),
    mode === 'setup' ? h('p', { class: 'lead' }, t('page.setup_intro')) : null,
    code ? field(t('page.setup_code'), code, t('page.setup_code_hint')) : null,
    field(t('page.password'), pw, mode === 'setup' ? t('page.password_hint') : null),
    h('p', { class: 'form-error', role: 'alert' }),
    lockMsg,
    h('div', { class: 'actions' }, submit));

  async function onSubmit(ev) {
    ev.preventDefault();
    const body = { password: pw.value };
    if (code) body.setup_code = code.value.trim();
    submit.disabled = true;
    try {
      const sess = mode === 'setup' ? await API.setup(body) : await API.login(body);
      pw.value = '';
      await loggedIn(sess);
    } catch (e) {
      showFieldErrors(form, e);
      if (e.code === 'csrf') await loadSession().catch(() => {});
      if (e.retryAfter > 0 && (e.code === 'locked' || e.code === 'too_many_attempts')) lockout(e.retryAfter);
      else submit.disabled = false;
      if (e.code === 'already_set_up' || e.code === 'needs_setup') {
        await loadSession();
        go(home());
      }
    }
  }

  // lockout keeps the button off until the router lets us try again.
  function lockout(secs) {
    const until = new Date(now().getTime() + secs * 1000);
    if (secs >= 60) lockMsg.textContent = t('page.locked_until', { time: at(until) });
    setTimeout(() => {
      submit.disabled = false;
      lockMsg.textContent = '';
    }, secs * 1000);
  }

  return [form, h('p', { class: 'center' }, h('a', { href: '#/child', class: 'child-link' }, icon('device'), t('page.my_device')))];
}
