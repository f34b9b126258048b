// sites.js: a person's own allowed and blocked sites and their own choice
// per category on top of their profile's (on the Profiles page).

import { h } from './dom.js';
import { t } from './i18n.js';
import { fmtList, when } from './time.js';
import { API } from './api.js';
import { render } from './router.js';
import { say } from './toast.js';
import { act, field, lockNote, showFieldErrors } from './widgets.js';
import { catLabel, lockedCats, profileLabel } from './household.js';

// sitesPanel edits each person's own allowed and blocked sites.
export function sitesPanel(hh) {
  const people = hh.people || [];
  return h('section', { class: 'panel', 'aria-labelledby': 'sites-h' },
    h('h2', { id: 'sites-h' }, t('page.sites.title')),
    h('p', { class: 'lead' }, t('page.sites.intro')),
    people.length === 0 ? h('p', { class: 'muted' }, t('page.overview.no_people')) : null,
    people.map((p) => h('div', { class: 'sites-person', 'data-person': p.id },
      h('h3', { translate: 'no' }, p.name),
      h('div', { class: 'two' }, domainList(p, 'allow'), domainList(p, 'block')),
      (p.temp_allow || []).length ? h('p', { class: 'muted' }, t('page.sites.temp', {
        list: fmtList(p.temp_allow.map((x) => t('page.sites.temp_item', { site: x.domain, time: when(x.until) }))),
      })) : null,
      personCategories(p, hh))));
}

const openCats = new Set(); // the people whose categories the parent unfolded

// personCategories sets a person's own choice per category on top of the
// profile's: as the profile, always block, or always allow (not for a
// category the ISP locks; the router refuses that too, and its message
// shows next to the category).
function personCategories(p, hh) {
  const k = 'pc-' + p.id + '-';
  const prof = (hh.profiles || []).find((x) => x.id === p.profile) || {};
  const locked = lockedCats(hh.locked, prof);
  const profBlocks = new Set([...(prof.block_category || []), ...locked]);
  const block = new Set(p.block_category || []);
  const allow = new Set(p.allow_category || []);
  const cats = (hh.categories || []).filter((c) => c !== 'allowlist');
  const state = (c) => (allow.has(c) ? 'allow' : block.has(c) ? 'block' : 'profile');
  const own = cats.filter((c) => state(c) !== 'profile');
  const row = (c) => {
    const id = k + c;
    const isLocked = locked.has(c);
    const err = h('small', { class: 'field-error', id: id + '-err', 'aria-live': 'polite' });
    const sel = h('select', {
      id, name: 'category', 'data-key': id, 'data-category': c, 'aria-describedby': [isLocked && id + '-lock', id + '-err'].filter(Boolean).join(' '),
      onchange: async () => {
        const want = sel.value;
        const nb = [...block].filter((x) => x !== c);
        const na = [...allow].filter((x) => x !== c);
        if (want === 'block') nb.push(c);
        if (want === 'allow') na.push(c);
        sel.disabled = true;
        try {
          await API.savePerson(p.id, { block_category: nb, allow_category: na });
          say(t('page.pcats.saved_' + want, { category: catLabel(c), name: p.name }));
          await render(false);
        } catch (e) {
          // the router's reason next to the category; the choice goes back
          const f = e.fields || {};
          err.textContent = f.allow_category || f.block_category || e.message;
          sel.setAttribute('aria-invalid', 'true');
          sel.value = state(c);
          sel.disabled = false;
          sel.focus();
        }
      },
    },
    h('option', { value: 'profile' }, t(profBlocks.has(c) ? 'page.pcats.as_profile_blocked' : 'page.pcats.as_profile_allowed')),
    h('option', { value: 'block' }, t('page.pcats.block')),
    h('option', { value: 'allow', disabled: isLocked }, t('page.pcats.allow') + (isLocked ? ' — ' + t('page.locked_short') : '')));
    sel.value = state(c);
    return h('li', { class: ['cat-state', 'is-' + state(c), isLocked && 'is-locked'], 'data-category': c, 'data-state': state(c) },
      h('label', { for: id }, catLabel(c)),
      sel,
      isLocked ? h('span', { id: id + '-lock', class: 'cat-lock' }, lockNote()) : null,
      err);
  };
  return h('details', {
    class: 'person-cats', 'data-person': p.id, open: openCats.has(p.id),
    ontoggle: (ev) => { if (ev.target.open) openCats.add(p.id); else openCats.delete(p.id); },
  },
  h('summary', null, h('strong', null, t('page.pcats.title', { name: p.name })),
    h('span', { class: 'muted' }, ' · ', own.length ? t('page.pcats.own', { list: fmtList(own.map(catLabel)) }) : t('page.pcats.none_own'))),
  h('p', { class: 'hint' }, t('page.pcats.intro', { profile: profileLabel(p.profile), name: p.name })),
  h('ul', { class: 'cat-states' }, cats.map(row)));
}

function domainList(p, which) {
  const k = 'dl-' + p.id + '-' + which;
  const list = p[which] || [];
  const input = h('input', { name: which, inputmode: 'url', autocomplete: 'off', placeholder: 'example.com', 'data-key': k + '-in', spellcheck: 'false' });
  const save = (next, msg) => API.savePerson(p.id, { [which]: next }).then(() => { say(msg); return render(false); });
  const form = h('form', {
    class: 'inline-form', novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const d = input.value.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
      if (!d) return;
      try { await save(list.concat(d), t('page.sites.added', { site: d })); } catch (e) { showFieldErrors(form, e); }
    },
  }, field(t('page.sites.add_' + which), input), h('button', { type: 'submit', class: 'btn', 'data-key': k + '-add' }, t('page.add')),
  h('p', { class: 'form-error', role: 'alert' }));
  return h('div', { class: 'domains', 'data-list': which },
    h('h4', null, t('page.sites.' + which)),
    list.length ? h('ul', { class: 'chips' }, list.map((d) => h('li', null, h('span', null, d),
      h('button', {
        type: 'button', class: 'chip-x', 'data-key': k + '-x-' + d, 'aria-label': t('page.sites.remove', { site: d }),
        onclick: (ev) => act(ev.currentTarget, () => API.savePerson(p.id, { [which]: list.filter((x) => x !== d) }), t('page.sites.removed', { site: d })),
      }, '×')))) : h('p', { class: 'muted' }, t('page.sites.empty')),
    form);
}
