// People, on the moderation page: anyone of the tenant found by name (Query.users, which also shows moderators
// whether someone is suspended), with their tenant role, which admins change (setUserRole), and Suspend or Unsuspend
// (suspendUser, unsuspendUser), also offered on each open report. Moderators act on users, admins on users and
// moderators, nobody on themself or an admin: the page leaves out what the server would refuse.
import { $, debounce, h, showError, time } from './dom.js';
import { gql } from './api.js';

const PERSON_FIELDS = 'id name username role suspendedAt suspendedReason';
const SEARCH = `query($search: String) { users(search: $search, first: 10) { edges { node { ${PERSON_FIELDS} } } } }`;
const SET_ROLE = 'mutation($u: ID!, $r: TenantRole!) { setUserRole(userId: $u, role: $r) { id role } }';
const SUSPEND = 'mutation($u: ID!, $r: String!) { suspendUser(userId: $u, reason: $r) { id suspendedAt } }';
const UNSUSPEND = 'mutation($u: ID!) { unsuspendUser(userId: $u) { id suspendedAt } }';

const ROLES = { USER: 'User', MODERATOR: 'Moderator', ADMIN: 'Admin' };
const RANK = { USER: 0, MODERATOR: 1, ADMIN: 2 };

/** Builds the People section of the moderation page `page` ({ viewer, act }). */
export function initPeople(page) {
  const input = h('input', { id: 'moderation-people-search', type: 'search', autocomplete: 'off', placeholder: 'Name or username' });
  const found = h('ul', { id: 'moderation-people-found', class: 'moderation-people', 'aria-label': 'People found' });

  const search = async () => {
    const text = input.value.trim();
    if (!text) return found.replaceChildren();
    try {
      const { users } = await gql(SEARCH, { search: text });
      if (input.value.trim() !== text) return;
      const people = users.edges.map((e) => e.node);
      found.replaceChildren(
        ...(people.length ? people.map((u) => person(page, u, search)) : [h('li', { class: 'hint' }, 'Nobody found.')]),
      );
    } catch (err) {
      showError($('moderation-error'), err);
    }
  };

  input.addEventListener('input', debounce(search, 250));
  $('moderation-people').replaceChildren(
    h('h3', { id: 'moderation-people-heading' }, 'People'),
    h(
      'form',
      {
        role: 'search',
        onsubmit: (e) => {
          e.preventDefault();
          void search();
        },
      },
      h('label', { for: input.id }, 'Find a person to moderate'),
      input,
    ),
    found,
  );
}

/** One person found: name, role (a menu for admins), whether suspended, and the suspension's button. */
function person(page, u, again) {
  const mine = u.id === page.viewer.id;
  const role =
    page.viewer.role === 'ADMIN' && !mine
      ? h(
          'select',
          {
            'aria-label': `Tenant role of ${u.name}`,
            onchange: (e) => void setRole(page, u, e.currentTarget.value, again),
          },
          ...Object.entries(ROLES).map(([value, label]) => h('option', { value, selected: value === u.role }, label)),
        )
      : h('span', { class: 'role' }, ROLES[u.role] ?? u.role);
  return h(
    'li',
    { class: 'moderation-person', dataset: { userId: u.id } },
    h(
      'span',
      { class: 'member-name' },
      u.name,
      u.username ? h('span', { class: 'muted' }, ` @${u.username}`) : null,
      mine ? h('span', { class: 'muted' }, ' (you)') : null,
    ),
    role,
    suspension(page, u, again),
  );
}

async function setRole(page, u, role, again) {
  await page.act(() => gql(SET_ROLE, { u: u.id, r: role }), `${u.name} is now ${ROLES[role].toLowerCase()}.`);
  await again();
}

/**
 * Suspend (with a reason, kept in the log) or Unsuspend for `user`, or nothing when the viewer may not act on them.
 * `after()` runs once the action is done and the page read again (a list of its own to read again).
 */
export function suspension(page, user, after = () => {}) {
  const { viewer } = page;
  if (user.id === viewer.id || RANK[user.role] >= RANK[viewer.role]) return null;
  const run = async (mutation, variables, done) => {
    await page.act(() => gql(mutation, { u: user.id, ...variables }), done);
    await after();
  };
  if (user.suspendedAt)
    return h(
      'div',
      { class: 'suspension' },
      h(
        'span',
        { class: 'suspended' },
        `Suspended since ${time(user.suspendedAt)}`,
        user.suspendedReason ? `: ${user.suspendedReason}` : '',
      ),
      h(
        'button',
        { type: 'button', class: 'link', onclick: () => void run(UNSUSPEND, {}, `${user.name} may sign in again.`) },
        `Unsuspend ${user.name}`,
      ),
    );
  const reason = h('input', {
    name: 'reason',
    required: true,
    maxlength: '500',
    'aria-label': `Reason for suspending ${user.name}`,
    placeholder: 'Reason (kept in the log)',
  });
  return h(
    'form',
    {
      class: 'suspension',
      onsubmit: (e) => {
        e.preventDefault();
        void run(SUSPEND, { r: reason.value }, `${user.name} was suspended and signed out everywhere.`);
      },
    },
    reason,
    h('button', { type: 'submit' }, `Suspend ${user.name}`),
  );
}
