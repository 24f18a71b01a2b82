// New group, above the conversation list: a title and the people to add (picked by name), made with
// createGroupConversation; the viewer is its owner. People whose privacy settings do not let the viewer add them are
// invited instead (they accept under Requests), and the notice under the opened group says who.
import { $, h, showError } from './dom.js';
import { gql } from './api.js';
import { peoplePicker } from './people-picker.js';

/**
 * Builds the form in #new-group-view for a new sign-in. The group is read with `fields` (what the conversation list
 * keeps) and handed to `created(conversation)`, which lists and opens it.
 */
export function initNewGroup(fields, created) {
  const picker = peoplePicker({ id: 'new-group-people', label: 'Members' });
  const title = h('input', { id: 'new-group-title', name: 'title', required: true, maxlength: '100', autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Create group');
  const show = (on) => {
    $('new-group-view').hidden = !on;
    $('show-new-group').setAttribute('aria-pressed', String(on));
    $('show-new-group').textContent = on ? 'Cancel new group' : 'New group';
    if (on) title.focus();
  };

  const create = async (e) => {
    e.preventDefault();
    const people = picker.chosen();
    button.disabled = true;
    showError(error, null);
    try {
      const { createGroupConversation: c } = await gql(
        `mutation($title: String!, $ids: [ID!]!) { createGroupConversation(title: $title, memberIds: $ids) {
          ${fields} pendingInvitations { id name } } }`,
        { title: title.value, ids: people.map((u) => u.id) },
      );
      e.target.reset();
      picker.clear();
      show(false);
      created(c);
      $('conversation-notice').textContent = createdNotice(c, people);
    } catch (err) {
      showError(error, err);
    } finally {
      button.disabled = false;
    }
  };

  $('new-group-view').replaceChildren(
    h('h3', { id: 'new-group-heading' }, 'New group'),
    h('form', { class: 'new-group-form', onsubmit: create }, h('label', { for: title.id }, 'Title'), title, picker.element, error, button),
  );
  // Assigned, not added: each sign-in builds the form again and replaces the last one's handler.
  $('show-new-group').onclick = () => show($('new-group-view').hidden);
  show(false);
}

/** Empties the form when the viewer signs out. */
export function stopNewGroup() {
  $('new-group-view').hidden = true;
  $('new-group-view').replaceChildren();
  $('show-new-group').setAttribute('aria-pressed', 'false');
  $('show-new-group').textContent = 'New group';
}

function createdNotice(c, people) {
  const invited = new Set(c.pendingInvitations.map((u) => u.id));
  const names = people.filter((u) => invited.has(u.id)).map((u) => u.name);
  const title = c.title || 'The group';
  return names.length
    ? `${title} was created. Invited instead of added, as their privacy settings ask: ${names.join(', ')}.`
    : `${title} was created.`;
}
