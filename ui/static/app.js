// Placeholder page: first-run setup, login, logout and the language picker,
// talking to the JSON API (ui/API.md). Every string comes from /api/v1/i18n.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  let msgs = {}, csrf = '', mode = '';
  const t = (id) => msgs[id] || id;

  async function api(method, path, body) {
    const opt = { method, headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' };
    if (body) { opt.headers['Content-Type'] = 'application/json'; opt.body = JSON.stringify(body); }
    const res = await fetch(path, opt);
    const data = res.status === 204 ? {} : await res.json();
    return { ok: res.ok, data };
  }

  async function loadText() {
    const r = await api('GET', '/api/v1/i18n');
    msgs = r.data.messages || {};
    document.documentElement.lang = r.data.lang;
    $('lang').value = r.data.lang;
    document.title = t('page.title');
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  }

  async function refresh() {
    const s = (await api('GET', '/api/v1/session')).data;
    csrf = s.csrf_token || '';
    $('auth').hidden = s.authenticated;
    $('logout').hidden = !s.authenticated;
    mode = s.needs_setup ? 'setup' : 'login';
    $('status').textContent = s.authenticated ? t('page.logged_in') : '';
    $('auth-title').textContent = t(mode === 'setup' ? 'page.setup_title' : 'page.login_title');
    $('submit').textContent = t(mode === 'setup' ? 'page.submit_setup' : 'page.submit_login');
    if (mode === 'setup') {
      const st = (await api('GET', '/api/v1/setup')).data;
      $('code-row').hidden = !st.setup_code_required;
    } else {
      $('code-row').hidden = true;
    }
  }

  function showErrors(err) {
    for (const el of document.querySelectorAll('.field-error')) {
      el.textContent = (err && err.fields && err.fields[el.dataset.field]) || '';
    }
    $('form-error').textContent = err ? err.message : '';
  }

  $('auth').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { password: $('password').value };
    if (mode === 'setup') body.setup_code = $('setup_code').value;
    const r = await api('POST', '/api/v1/' + mode, body);
    showErrors(r.ok ? null : r.data.error);
    if (r.ok) { $('password').value = ''; await refresh(); }
  });

  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/v1/logout');
    await refresh();
  });

  $('lang').addEventListener('change', async () => {
    document.cookie = 'lang=' + $('lang').value + '; path=/; max-age=31536000; samesite=strict';
    await loadText();
    await refresh();
  });

  loadText().then(refresh);
})();
