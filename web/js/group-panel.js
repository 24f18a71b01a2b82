// The open group's panel ("Group" in its head): title and description, who may post and rename, public or private,
// what new members read, the members with their roles, Add members (add-members.js) and invite links
// (invite-links.js). What the viewer may change follows Conversation.viewerCan: the server decides, the panel only
// leaves out what it would refuse. In an announcement group those who may not post find the composers disabled, with
// a note saying why.
import { $, h, showError } from './dom.js';
import { gql } from './api.js';
import { closeInvites, openInvites, showInvites } from './invite-links.js';
import { openAddMembers, showAddMembers } from './add-members.js';

/** What the head and the panel read of the open conversation (members with what the head and @ list show). */
export const GROUP_FIELDS = `kind assistantEnabled description postPolicy editPolicy visibility historyVisibility memberCount
  viewerCan { post rename configure addMembers removeMembers deleteOthersMessages setRoles manageInvites }
  members { role user { id name username presence { status } } }`;
/** What a change to the group answers with: the whole of it, as it is now. */
const CHANGED_FIELDS = `id title ${GROUP_FIELDS}`;

const ROLES = { OWNER: 'Owner', ADMIN: 'Admin', MEMBER: 'Member' };
const RANK = { MEMBER: 0, ADMIN: 1, OWNER: 2 };
const SETTINGS = ['postPolicy', 'editPolicy', 'visibility', 'historyVisibility'];

let myId = null;
/** The open conversation when it is a group (the head's own object, so changes show in both), else null. */
let c = null;
/** Forms with edits not saved yet: a live change to the group does not overwrite them. */
const dirty = new Set();

/** The head drew `conversation` (null: none open) for the viewer `viewerId`. */
export function renderGroup(conversation, viewerId) {
  const group = conversation?.kind === 'GROUP' ? conversation : null;
  if (group?.id !== c?.id) close();
  c = group;
  myId = viewerId;
  $('group-open').hidden = !c;
  gateComposers();
  if ($('group-panel').open) render();
}

/** Members may not post in an announcement group: the composers say so rather than fail on Send. */
function gateComposers() {
  const blocked = !!c && c.viewerCan?.post === false;
  for (const form of [$('composer'), $('thread-composer')]) for (const el of form.elements) el.disabled = blocked;
  $('composer-note').hidden = !blocked;
}

function open() {
  if (!c) return;
  dirty.clear();
  showError($('group-error'), null);
  $('group-status').textContent = '';
  openInvites(c);
  openAddMembers(c, addMembers);
  render();
  $('group-panel').showModal();
}

function close() {
  if ($('group-panel').open) $('group-panel').close();
  closeInvites();
}

function render() {
  const can = c.viewerCan ?? {};
  $('group-heading').textContent = c.title || 'Group';
  $('group-count').textContent = `${c.memberCount ?? c.members.length} ${c.memberCount === 1 ? 'member' : 'members'}`;
  fill('group-about', { title: c.title ?? '', description: c.description ?? '' }, can.rename);
  fill('group-settings', Object.fromEntries(SETTINGS.map((k) => [k, c[k]])), can.configure);
  renderAssistantSwitch(can.configure);
  renderMembers(can);
  showAddMembers(!!can.addMembers);
  showInvites(c);
}

/** Shows a form's values (unless it holds unsaved edits), editable only when the viewer may change them. */
function fill(formId, values, editable) {
  const form = $(formId);
  form.querySelector('fieldset').disabled = !editable;
  form.querySelector('button[type=submit]').hidden = !editable;
  if (dirty.has(formId)) return;
  for (const [name, value] of Object.entries(values)) form.elements.namedItem(name).value = value ?? '';
}

/** Whether @assistant answers here: a switch for owners and admins (saved at once), read-only to others. */
function renderAssistantSwitch(editable) {
  const on = !!c.assistantEnabled;
  $('group-assistant').checked = on;
  $('group-assistant').disabled = !editable;
  $('group-assistant-hint').textContent = editable
    ? 'A message mentioning @assistant gets an AI answer that everyone here reads.'
    : `${on ? 'On' : 'Off'}: owners and admins change this.`;
}

function renderMembers(can) {
  const myRole = c.members.find((m) => m.user.id === myId)?.role ?? 'MEMBER';
  const sorted = [...c.members].sort((a, b) => RANK[b.role] - RANK[a.role] || a.user.name.localeCompare(b.user.name));
  $('group-members').replaceChildren(
    ...sorted.map((m) => {
      const mine = m.user.id === myId;
      const role =
        can.setRoles && !mine
          ? h(
              'select',
              { 'aria-label': `Role of ${m.user.name}`, onchange: (e) => void setRole(m.user.id, e.currentTarget.value) },
              ...Object.entries(ROLES).map(([value, label]) => h('option', { value, selected: value === m.role }, label)),
            )
          : h('span', { class: 'role' }, ROLES[m.role] ?? m.role);
      const removable = can.removeMembers && !mine && RANK[myRole] > RANK[m.role];
      return h(
        'li',
        { class: 'group-member', dataset: { userId: m.user.id } },
        h('span', { class: 'member-name' }, m.user.name, mine ? h('span', { class: 'muted' }, ' (you)') : null),
        role,
        removable
          ? h(
              'button',
              { type: 'button', class: 'link', 'aria-label': `Remove ${m.user.name}`, onclick: () => void remove(m.user) },
              'Remove',
            )
          : null,
      );
    }),
  );
}

/**
 * Runs a change to the open group; its answer is the group as it is now, and what this resolves with (null when the
 * change failed). `done` says what happened: a text, or a function of the answer.
 */
async function change(mutation, variables, done) {
  const group = c;
  showError($('group-error'), null);
  $('group-status').textContent = '';
  try {
    const data = await gql(mutation, { c: group.id, ...variables });
    const changed = Object.values(data)[0];
    if (c !== group) return changed;
    Object.assign(group, changed);
    $('conversation-title').textContent = group.title || 'Conversation';
    $('group-status').textContent = typeof done === 'function' ? done(changed) : done;
    return changed;
  } catch (err) {
    if (c === group) showError($('group-error'), err);
    return null;
  } finally {
    if (c === group) {
      gateComposers();
      if ($('group-panel').open) render();
    }
  }
}

const setRole = (userId, role) =>
  change(
    `mutation($c: ID!, $u: ID!, $role: MemberRole!) { setMemberRole(conversationId: $c, userId: $u, role: $role) { ${CHANGED_FIELDS} } }`,
    { u: userId, role },
    'Role changed.',
  );

/** Adds people; the answer's pendingInvitations tells those added from those invited instead (add-members.js). */
const addMembers = (userIds, done) =>
  change(
    `mutation($c: ID!, $ids: [ID!]!) { addMembers(conversationId: $c, userIds: $ids) { ${CHANGED_FIELDS} pendingInvitations { id name } } }`,
    { ids: userIds },
    done,
  );

function remove(user) {
  if (!confirm(`Remove ${user.name} from ${c.title || 'this group'}?`)) return;
  return change(
    `mutation($c: ID!, $u: ID!) { removeMember(conversationId: $c, userId: $u) { ${CHANGED_FIELDS} } }`,
    { u: user.id },
    `${user.name} was removed.`,
  );
}

const UPDATE = `mutation($c: ID!, $title: String, $description: String, $postPolicy: GroupPolicy, $editPolicy: GroupPolicy,
  $visibility: ConversationVisibility, $historyVisibility: HistoryVisibility) {
  updateGroupSettings(conversationId: $c, title: $title, description: $description, postPolicy: $postPolicy,
    editPolicy: $editPolicy, visibility: $visibility, historyVisibility: $historyVisibility) { ${CHANGED_FIELDS} } }`;

/** Saves what a form holds (only its own settings: the others, left out, stay as they are). */
async function save(formId, names, done) {
  const form = $(formId);
  const variables = Object.fromEntries(names.map((name) => [name, form.elements.namedItem(name).value]));
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    if (await change(UPDATE, variables, done)) dirty.delete(formId);
    if (c && $('group-panel').open) render();
  } finally {
    button.disabled = false;
  }
}

for (const id of ['group-about', 'group-settings']) $(id).addEventListener('input', () => dirty.add(id));
$('group-about').addEventListener('submit', (e) => {
  e.preventDefault();
  void save('group-about', ['title', 'description'], 'Title and description saved.');
});
$('group-settings').addEventListener('submit', (e) => {
  e.preventDefault();
  void save('group-settings', SETTINGS, 'Settings saved.');
});
$('group-assistant').addEventListener('change', (e) => {
  const on = e.currentTarget.checked;
  void change(
    `mutation($c: ID!, $on: Boolean) { updateGroupSettings(conversationId: $c, assistantEnabled: $on) { ${CHANGED_FIELDS} } }`,
    { on },
    on ? 'The assistant answers @assistant here.' : 'The assistant no longer answers here.',
  );
});
$('group-assistant-form').addEventListener('submit', (e) => e.preventDefault());
$('group-open').addEventListener('click', open);
$('group-close').addEventListener('click', close);
$('group-panel').addEventListener('close', closeInvites);
