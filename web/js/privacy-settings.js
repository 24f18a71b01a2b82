// The viewer's privacy settings (User.privacy, saved with updatePrivacySettings), in a dialog opened from Privacy
// beside their name in the header. Today one setting: who may add them to a group; anyone else who tries invites
// them instead, and the invitation waits under Requests.
import { $, h, showError } from './dom.js';
import { gql } from './api.js';

/** GroupAddPolicy: what each value is called, and what it means. */
const GROUP_ADDS = {
  EVERYONE: ['Everyone', 'anyone in this tenant'],
  CONTACTS: ['My contacts', 'people whose direct conversation with me is accepted'],
  NOBODY: ['Nobody', 'every add becomes an invitation'],
};

/** Opens the dialog from the header's Privacy for a new sign-in. */
export function startPrivacy() {
  // Assigned, not added: each sign-in replaces the last one's handler.
  $('show-privacy').onclick = () => void open();
}

/** Closes the dialog when the viewer signs out (the next viewer reads their own settings). */
export function stopPrivacy() {
  $('privacy-dialog')?.remove();
}

function dialog() {
  const found = $('privacy-dialog');
  if (found) return found;
  // The label's text in one span: .check spaces its children apart, and the meaning follows its name.
  const choices = Object.entries(GROUP_ADDS).map(([value, [label, meaning]]) =>
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'radio', name: 'groupAdds', value }),
      h('span', {}, label, h('span', { class: 'muted' }, `: ${meaning}`)),
    ),
  );
  const d = h(
    'dialog',
    { id: 'privacy-dialog', class: 'privacy-dialog', 'aria-labelledby': 'privacy-heading' },
    h(
      'form',
      { id: 'privacy-form', onsubmit: (e) => void save(e) },
      h('h2', { id: 'privacy-heading' }, 'Privacy settings'),
      h(
        'fieldset',
        { id: 'privacy-group-adds' },
        h('legend', {}, 'Who may add you to a group'),
        ...choices,
        h('p', { class: 'hint' }, 'Anyone else who tries invites you instead: you accept or decline under Requests.'),
      ),
      h('p', { id: 'privacy-error', class: 'error', role: 'alert' }),
      h('p', { id: 'privacy-status', class: 'hint', role: 'status' }),
      h(
        'div',
        { class: 'report-buttons' },
        h('button', { type: 'submit' }, 'Save privacy settings'),
        h('button', { type: 'button', class: 'link', onclick: () => d.close() }, 'Close'),
      ),
    ),
  );
  document.body.append(d);
  return d;
}

/** Shows the dialog with the settings as the server has them now (another device may have changed them). */
async function open() {
  const d = dialog();
  const form = $('privacy-form');
  showError($('privacy-error'), null);
  $('privacy-status').textContent = 'Reading your settings…';
  $('privacy-group-adds').disabled = true;
  d.showModal();
  try {
    const { me } = await gql('{ me { id privacy { groupAdds } } }');
    form.elements.namedItem('groupAdds').value = me.privacy.groupAdds;
    $('privacy-group-adds').disabled = false;
    $('privacy-status').textContent = '';
  } catch (err) {
    $('privacy-status').textContent = '';
    showError($('privacy-error'), err);
  }
}

async function save(e) {
  e.preventDefault();
  const groupAdds = e.currentTarget.elements.namedItem('groupAdds').value;
  const button = e.currentTarget.querySelector('button[type=submit]');
  if (!groupAdds) return;
  button.disabled = true;
  showError($('privacy-error'), null);
  $('privacy-status').textContent = '';
  try {
    const { updatePrivacySettings: me } = await gql(
      'mutation($g: GroupAddPolicy) { updatePrivacySettings(groupAdds: $g) { id privacy { groupAdds } } }',
      {
        g: groupAdds,
      },
    );
    $('privacy-status').textContent = `Privacy settings saved. Who may add you to a group: ${GROUP_ADDS[me.privacy.groupAdds][0]}.`;
  } catch (err) {
    showError($('privacy-error'), err);
  } finally {
    button.disabled = false;
  }
}
