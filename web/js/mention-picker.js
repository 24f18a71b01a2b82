// The @ autocomplete of a composer: "@" and the start of a name list the conversation's members that match (name and
// @username); Up and Down move, Enter or Tab chooses, Escape closes, a click chooses. Choosing puts "@username " in
// place of what was typed, which the server resolves to that member when the message is sent.
import { h } from './dom.js';

const MAX_SHOWN = 8;
// What is being typed right before the caret: an "@" not inside a word or an address, then username characters.
const TYPING = /(?<![\p{L}\p{N}_.@])@([a-z0-9_.]{0,30})$/iu;

let lists = 0;

const matches = (user, query) =>
  user.username.toLowerCase().startsWith(query) ||
  user.name
    .toLowerCase()
    .split(/\s+/)
    .some((word) => word.startsWith(query));

/**
 * Adds the autocomplete to `textarea` (inside its composer form). `members()` gives the open conversation's members
 * ({ user: { id name username } }), `myId()` the viewer's id: the viewer is not offered, a self-mention names nobody.
 */
export function attachMentionPicker(textarea, { members, myId }) {
  const listId = `mention-options-${++lists}`;
  const list = h('ul', { id: listId, class: 'mention-options', role: 'listbox', 'aria-label': 'People to mention', hidden: true });
  textarea.form.append(list);
  textarea.setAttribute('aria-autocomplete', 'list');
  textarea.setAttribute('aria-controls', listId);
  let options = [];
  let active = 0;
  let start = -1; // where the "@" being completed is
  let dismissed = -1; // the "@" whose list Escape closed: not shown again until another "@"

  function close() {
    list.hidden = true;
    list.replaceChildren();
    options = [];
    textarea.removeAttribute('aria-activedescendant');
  }

  function update() {
    const caret = textarea.selectionStart;
    const typing = caret === textarea.selectionEnd ? TYPING.exec(textarea.value.slice(0, caret)) : null;
    if (!typing) {
      dismissed = -1;
      return close();
    }
    const at = caret - typing[0].length;
    if (at === dismissed) return close();
    const query = typing[1].toLowerCase();
    const me = myId();
    const found = (members() ?? [])
      .map((m) => m.user)
      .filter((u) => u.username && u.id !== me && matches(u, query))
      .sort((a, b) => Number(!b.username.startsWith(query)) - Number(!a.username.startsWith(query)) || a.name.localeCompare(b.name))
      .slice(0, MAX_SHOWN);
    if (found.length === 0) return close();
    if (at !== start) active = 0;
    start = at;
    options = found;
    active = Math.min(active, options.length - 1);
    render();
  }

  function render() {
    list.replaceChildren(
      ...options.map((u, i) =>
        h(
          'li',
          {
            id: `${listId}-${i}`,
            role: 'option',
            class: i === active ? 'active' : null,
            'aria-selected': String(i === active),
            onmousedown: (e) => e.preventDefault(), // keeps the focus (and the caret) in the composer
            onclick: () => choose(u),
          },
          h('span', { class: 'option-name' }, u.name),
          h('span', { class: 'muted' }, ` @${u.username}`),
        ),
      ),
    );
    list.hidden = false;
    textarea.setAttribute('aria-activedescendant', `${listId}-${active}`);
  }

  function choose(user) {
    const value = textarea.value;
    const caret = textarea.selectionStart;
    const rest = value.slice(caret).replace(/^[a-z0-9_.]+/i, ''); // the rest of a name the caret was inside
    const inserted = `@${user.username}${/^\s/.test(rest) ? '' : ' '}`;
    textarea.value = value.slice(0, start) + inserted + rest;
    const end = start + inserted.length + (/^\s/.test(rest) ? 1 : 0);
    textarea.setSelectionRange(end, end);
    close();
    textarea.dispatchEvent(new Event('input', { bubbles: true })); // what typing does (the typing indicator)
  }

  // Before the composer's own Enter (send): while the list is open these keys are the list's.
  textarea.addEventListener(
    'keydown',
    (e) => {
      if (list.hidden || e.isComposing) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        active = (active + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length;
        render();
      } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') choose(options[active]);
      else if (e.key === 'Escape') {
        dismissed = start;
        close();
      } else return;
      e.preventDefault();
      e.stopImmediatePropagation();
    },
    { capture: true },
  );
  textarea.addEventListener('input', update);
  textarea.addEventListener('click', update);
  textarea.addEventListener('keyup', (e) => ['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key) && update());
  textarea.addEventListener('blur', close);
  return { close };
}
