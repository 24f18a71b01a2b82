// Picking people by name for a group: a search box over Query.users (as the inbox's people search does) and the people
// chosen so far, each to be left out again. New group (new-group.js) and Add members (add-members.js) use it.
import { debounce, h, showError } from './dom.js';
import { gql } from './api.js';

const SEARCH = 'query($search: String) { users(search: $search, first: 8) { edges { node { id name username } } } }';

/**
 * A picker whose ids start with `id`, its search box labelled `label`; `skip(user)` leaves out people who cannot be
 * picked (a group's members). Returns { element, chosen() (the users picked, in order), clear() }.
 */
export function peoplePicker({ id, label, skip = () => false }) {
  const chosen = new Map();
  const input = h('input', { id: `${id}-search`, type: 'search', autocomplete: 'off', placeholder: 'Name or username' });
  const found = h('ul', { class: 'picker-found', 'aria-label': 'People found' });
  const picked = h('ul', { class: 'picker-chosen', 'aria-label': 'People chosen' });
  const error = h('p', { class: 'error', role: 'alert' });

  const renderPicked = () =>
    picked.replaceChildren(
      ...[...chosen.values()].map((u) =>
        h(
          'li',
          { class: 'picker-person', dataset: { userId: u.id } },
          u.name,
          u.username ? h('span', { class: 'muted' }, ` @${u.username}`) : null,
          h('button', { type: 'button', class: 'link', 'aria-label': `Leave out ${u.name}`, onclick: () => leaveOut(u) }, '✕'),
        ),
      ),
    );

  const choose = (u) => {
    chosen.set(u.id, u);
    input.value = '';
    found.replaceChildren();
    renderPicked();
    input.focus();
  };

  const leaveOut = (u) => {
    chosen.delete(u.id);
    renderPicked();
  };

  const search = debounce(async (text) => {
    if (!text) return found.replaceChildren();
    try {
      const { users } = await gql(SEARCH, { search: text });
      // A slower answer to an earlier search is not shown over a later one.
      if (input.value.trim() !== text) return;
      showError(error, null);
      const people = users.edges.map((e) => e.node).filter((u) => !chosen.has(u.id) && !skip(u));
      found.replaceChildren(
        ...(people.length
          ? people.map((u) =>
              h(
                'li',
                {},
                h(
                  'button',
                  { type: 'button', class: 'person', 'aria-label': `Choose ${u.name}`, onclick: () => choose(u) },
                  u.name,
                  u.username ? h('span', { class: 'muted' }, ` @${u.username}`) : null,
                ),
              ),
            )
          : [h('li', { class: 'hint' }, 'Nobody found.')]),
      );
    } catch (err) {
      showError(error, err);
    }
  }, 250);

  input.addEventListener('input', () => search(input.value.trim()));
  // Enter in the search box would submit the form the picker sits in, before anyone is chosen.
  input.addEventListener('keydown', (e) => e.key === 'Enter' && e.preventDefault());

  const element = h('div', { class: 'picker' }, h('label', { for: input.id }, label), input, error, found, picked);
  return {
    element,
    chosen: () => [...chosen.values()],
    clear: () => {
      chosen.clear();
      input.value = '';
      found.replaceChildren();
      showError(error, null);
      renderPicked();
    },
  };
}
