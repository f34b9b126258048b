// people.js: the People page: new devices to name and assign, each
// person's devices and profile, devices of nobody, adding, renaming and
// deleting people.

import { h } from './dom.js';
import { t, label } from './i18n.js';
import { ago } from './time.js';
import { API } from './api.js';
import { render } from './router.js';
import { say } from './toast.js';
import { act, confirmBox, field, icon, options, showFieldErrors } from './widgets.js';
import { context, profileLabel } from './household.js';

const KINDS = ['phone', 'tablet', 'laptop', 'computer', 'tv', 'console', 'speaker', 'other'];

// personOptions lists the people for an "assign to" select, with nobody.
const personOptions = (ctx, current) => [h('option', { value: '', selected: !current }, t('page.nobody'))]
  .concat((ctx.hh.people || []).map((p) => h('option', { value: p.id, selected: p.id === current }, p.name)));

export async function viewPeople() {
  const hh = await API.household();
  const ctx = context(hh);
  const devs = hh.devices || [];
  const fresh = devs.filter((d) => !d.configured);
  const nobody = devs.filter((d) => d.configured && !d.person);
  return [
    h('h1', null, t('page.nav.people')),
    fresh.length ? h('section', { class: 'panel attention', 'aria-labelledby': 'pd-new' },
      h('h2', { id: 'pd-new' }, icon('new'), t('page.devices.new_title', { n: fresh.length })),
      h('p', { class: 'lead' }, t('page.devices.new_intro')),
      h('ul', { class: 'list' }, fresh.map((d) => newDeviceItem(d, ctx)))) : null,
    (hh.people || []).map((p) => personPanel(p, devs.filter((d) => d.configured && d.person === p.id), ctx)),
    nobody.length ? h('section', { class: 'panel', 'aria-labelledby': 'pd-nobody' },
      h('h2', { id: 'pd-nobody' }, t('page.devices.nobody_title')),
      h('p', { class: 'muted' }, t('page.devices.nobody_intro')),
      h('ul', { class: 'list' }, nobody.map((d) => deviceItem(d, ctx)))) : null,
    addPersonForm(hh),
  ];
}

// deviceHints are the clues about a device nobody named yet.
function deviceHints(d) {
  return h('ul', { class: 'hints' },
    d.random_mac ? h('li', null, t('page.devices.private_mac')) : d.vendor ? h('li', null, t('page.devices.vendor', { vendor: d.vendor })) : null,
    d.hostname ? h('li', null, t('page.devices.hostname', { name: d.hostname })) : null,
    h('li', null, t('page.devices.mac', { mac: d.mac })),
    (d.addresses || []).length ? h('li', null, t('page.devices.addresses', { list: d.addresses.join(', ') })) : null,
    h('li', null, d.last_seen ? t('page.devices.last_seen', { time: ago(d.last_seen) }) : t('page.devices.never_seen')));
}

// deviceForm edits a device's name, kind and owner.
function deviceForm(d, ctx, isNew) {
  const k = 'dev-' + d.mac + '-';
  const name = h('input', { name: 'name', value: d.configured ? d.name : d.hostname || '', required: true, maxlength: '64', 'data-key': k + 'name' });
  const kind = h('select', { name: 'kind', 'data-key': k + 'kind' }, h('option', { value: '' }, t('page.devices.kind_unknown')), options(KINDS, d.kind || '', (v) => label('kind', v)));
  const who = h('select', { name: 'person', 'data-key': k + 'person', onchange: () => { profRow.hidden = !!who.value; } }, personOptions(ctx, d.person || ''));
  // a device of nobody's follows a profile: the unassigned one unless chosen
  const prof = h('select', { name: 'profile', 'data-key': k + 'profile' },
    h('option', { value: '' }, t('page.devices.profile_default')),
    options((ctx.hh.profiles || []).map((x) => x.id).filter((x) => x !== 'unassigned'), d.profile || '', profileLabel));
  const profRow = field(t('page.devices.profile'), prof, t('page.devices.profile_hint'));
  profRow.hidden = !!(d.person || '');
  const save = h('button', { type: 'submit', class: 'btn primary', 'data-key': k + 'save' }, t(isNew ? 'page.devices.assign' : 'page.save'));
  const form = h('form', { class: 'device-form', 'data-mac': d.mac, novalidate: true, onsubmit: onSave },
    h('div', { class: 'row' },
      field(t('page.devices.name'), name),
      field(t('page.devices.kind'), kind),
      field(t(isNew ? 'page.devices.assign_to' : 'page.devices.belongs_to'), who),
      profRow),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions' }, save,
      d.configured ? h('button', { type: 'button', class: 'btn danger ghost', 'data-key': k + 'forget', onclick: onForget }, t('page.devices.forget')) : null));

  async function onSave(ev) {
    ev.preventDefault();
    save.disabled = true;
    try {
      const body = { name: name.value.trim(), kind: kind.value, person: who.value };
      if (!who.value) body.profile = prof.value;
      await API.saveDevice(d.mac, body);
      say(t('page.devices.saved', { name: name.value.trim() }));
      await render(false);
    } catch (e) {
      showFieldErrors(form, e);
      save.disabled = false;
    }
  }

  async function onForget(ev) {
    if (!await confirmBox(t('page.devices.forget_confirm', { name: d.name }), t('page.devices.forget'))) return;
    act(ev.target, () => API.forgetDevice(d.mac), t('page.devices.forgotten', { name: d.name }));
  }
  return form;
}

function newDeviceItem(d, ctx) {
  return h('li', { class: 'device new', 'data-mac': d.mac },
    h('div', { class: 'device-head' },
      h('span', { class: 'tag new' }, t('page.devices.new')),
      h('strong', { translate: 'no' }, d.hostname || d.name || d.mac)),
    deviceHints(d),
    deviceForm(d, ctx, true));
}

function deviceItem(d, ctx) {
  return h('li', { class: 'device', 'data-mac': d.mac },
    h('details', null,
      h('summary', null,
        icon('device'),
        h('span', { class: 'device-name', translate: 'no' }, d.name),
        d.kind ? h('span', { class: 'muted' }, ' · ' + label('kind', d.kind)) : null,
        h('span', { class: 'muted small' }, ' · ', d.last_seen ? ago(d.last_seen) : t('page.devices.never_seen')),
        h('span', { class: 'summary-action' }, t('page.edit'))),
      deviceHints(d),
      deviceForm(d, ctx, false)));
}

function personPanel(p, devs, ctx) {
  const k = 'pp-' + p.id + '-';
  const prof = h('select', {
    name: 'profile', 'data-key': k + 'profile',
    onchange: (ev) => act(ev.target, () => API.savePerson(p.id, { profile: ev.target.value }), t('page.people.profile_changed', { name: p.name })),
  }, options((ctx.hh.profiles || []).map((x) => x.id), p.profile, profileLabel));
  const newName = h('input', { name: 'name', value: p.name, required: true, maxlength: '64', 'data-key': k + 'name' });
  const renameForm = h('form', {
    class: 'inline-form', novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await API.savePerson(p.id, { name: newName.value.trim() });
        say(t('page.saved'));
        await render(false);
      } catch (e) { showFieldErrors(renameForm, e); }
    },
  }, field(t('page.people.name'), newName), h('button', { type: 'submit', class: 'btn', 'data-key': k + 'rename' }, t('page.people.rename')),
  h('p', { class: 'form-error', role: 'alert' }));
  const del = async (ev) => {
    if (!await confirmBox(t('page.people.delete_confirm', { name: p.name }), t('page.people.delete'))) return;
    act(ev.target, () => API.deletePerson(p.id), t('page.people.deleted', { name: p.name }));
  };
  return h('section', { class: 'panel person-panel', 'data-person': p.id, 'aria-labelledby': k + 'h' },
    h('h2', { id: k + 'h', translate: 'no' }, p.name),
    h('div', { class: 'row' }, field(t('page.people.profile'), prof)),
    devs.length ? h('ul', { class: 'list devices' }, devs.map((d) => deviceItem(d, ctx))) : h('p', { class: 'muted' }, t('page.people.no_devices')),
    h('details', { class: 'more' },
      h('summary', null, t('page.people.manage', { name: p.name })),
      renameForm,
      h('button', { type: 'button', class: 'btn danger ghost', 'data-key': k + 'delete', onclick: del }, t('page.people.delete'))));
}

function addPersonForm(hh) {
  const name = h('input', { name: 'name', required: true, maxlength: '64', autocomplete: 'off', 'data-key': 'np-name' });
  const prof = h('select', { name: 'profile', 'data-key': 'np-profile' }, options((hh.profiles || []).map((x) => x.id).filter((x) => x !== 'unassigned'), 'child', profileLabel));
  const form = h('form', {
    class: 'panel', novalidate: true, 'aria-labelledby': 'np-h',
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await API.addPerson({ name: name.value.trim(), profile: prof.value });
        say(t('page.people.added', { name: name.value.trim() }));
        await render(false);
      } catch (e) { showFieldErrors(form, e); }
    },
  },
  h('h2', { id: 'np-h' }, t('page.people.add')),
  h('div', { class: 'row' }, field(t('page.people.name'), name), field(t('page.people.profile'), prof, t('page.people.profile_hint'))),
  h('p', { class: 'form-error', role: 'alert' }),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', 'data-key': 'np-add' }, t('page.people.add'))));
  return form;
}
