// Add members, in the group panel for those who may add (Conversation.viewerCan.addMembers): people found by name are
// picked, then added together (addMembers). Anyone whose privacy settings do not let the viewer add them is invited
// instead, and accepts under Requests; what addMembers answers (members, pendingInvitations) says which, and the
// panel says so. Someone who blocks the viewer is neither, and the panel does not single them out: an add never tells
// the adder they are blocked.
import { $, h } from './dom.js';
import { peoplePicker } from './people-picker.js';

/**
 * The panel opened on `group`: a fresh control in #group-add. `add(userIds, done)` runs addMembers through the panel
 * (group-panel.js), which shows what `done(answer)` says and draws the group as it now is.
 */
export function openAddMembers(group, add) {
  const picker = peoplePicker({
    id: 'group-add',
    label: 'Find people to add',
    skip: (u) => group.members.some((m) => m.user.id === u.id),
  });
  const button = h('button', { type: 'submit' }, 'Add to the group');
  const form = h(
    'form',
    {
      class: 'group-add-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const people = picker.chosen();
        if (!people.length) return;
        button.disabled = true;
        try {
          if (
            await add(
              people.map((u) => u.id),
              (answer) => outcome(people, answer),
            )
          )
            picker.clear();
        } finally {
          button.disabled = false;
        }
      },
    },
    picker.element,
    button,
  );
  $('group-add').replaceChildren(h('h3', { id: 'group-add-heading' }, 'Add members'), form);
}

/** The control shows only while the viewer may add people. */
export function showAddMembers(may) {
  $('group-add').hidden = !may;
}

/** Who of `people` the answer lists as members (added) and who as invited. */
function outcome(people, answer) {
  const members = new Set(answer.members.map((m) => m.user.id));
  const pending = new Set((answer.pendingInvitations ?? []).map((u) => u.id));
  const names = (list) => list.map((u) => u.name).join(', ');
  const added = people.filter((u) => members.has(u.id));
  const invited = people.filter((u) => !members.has(u.id) && pending.has(u.id));
  const said = [];
  if (added.length) said.push(`Added: ${names(added)}.`);
  if (invited.length) said.push(`Invited instead, as their privacy settings ask: ${names(invited)}.`);
  return said.length ? said.join(' ') : 'Nobody was added.';
}
