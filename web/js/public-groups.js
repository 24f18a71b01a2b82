// Public groups, in the inbox: the tenant's groups anyone may join (Query.publicConversations), found by title, each
// with its description and member count. Join (joinConversation) makes the viewer a member and opens the group; a
// group the viewer is in already just opens.
import { $, debounce, h, showError } from './dom.js';
import { gql } from './api.js';

const PUBLIC_GROUP_FIELDS = 'id title description memberCount';
const PAGE = 20;

let open = null;
let isMember = () => false;
let shown = false;
/** The search the list shows, and where its next page starts (null: no more). */
let shownSearch = '';
let nextCursor = null;

/** open(conversationId) opens a conversation; member(conversationId) says whether the viewer's list has it. */
export function initPublicGroups(openConversation, member) {
  open = openConversation;
  isMember = member;
  $('public-groups-search').value = '';
  show(false);
}

function show(on) {
  shown = on;
  $('show-public-groups').setAttribute('aria-pressed', String(on));
  $('show-public-groups').textContent = on ? 'Hide public groups' : 'Public groups';
  $('public-groups-view').hidden = !on;
  nextCursor = null;
  if (on) void load($('public-groups-search').value.trim());
  else $('public-groups-list').replaceChildren();
  $('public-groups-more').hidden = true;
}

/** Reads the first page for `search`, or with `more` the next page of what is shown. */
async function load(search, more = false) {
  try {
    const { publicConversations: page } = await gql(
      `query($search: String, $first: Int!, $after: String) { publicConversations(search: $search, first: $first, after: $after) {
        edges { node { ${PUBLIC_GROUP_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      { search: search || null, first: PAGE, after: more ? nextCursor : null },
    );
    if (!shown || $('public-groups-search').value.trim() !== search) return;
    shownSearch = search;
    nextCursor = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    const items = page.edges.map(({ node }) => item(node));
    if (more) $('public-groups-list').append(...items);
    else
      $('public-groups-list').replaceChildren(
        ...(items.length
          ? items
          : [h('li', { class: 'hint' }, search ? 'No public group has that in its title.' : 'No public groups yet.')]),
      );
    $('public-groups-more').hidden = !nextCursor;
  } catch (err) {
    showError($('inbox-error'), err);
  }
}

function item(g) {
  const member = isMember(g.id);
  const count = `${g.memberCount} ${g.memberCount === 1 ? 'member' : 'members'}`;
  return h(
    'li',
    { class: 'public-group', dataset: { id: g.id } },
    h('span', { class: 'public-group-title' }, g.title || 'Group'),
    h('span', { class: 'muted public-group-count' }, count),
    g.description ? h('span', { class: 'public-group-description' }, g.description) : null,
    h(
      'button',
      { type: 'button', class: 'link', 'aria-label': `${member ? 'Open' : 'Join'} ${g.title}`, onclick: () => void join(g) },
      member ? 'Open' : 'Join',
    ),
  );
}

async function join(g) {
  showError($('inbox-error'), null);
  try {
    // Joining a group one is in already changes nothing and answers it the same.
    const { joinConversation: c } = await gql('mutation($id: ID!) { joinConversation(id: $id) { id } }', { id: g.id });
    show(false);
    open(c.id);
  } catch (err) {
    showError($('inbox-error'), err);
  }
}

const search = debounce(() => shown && void load($('public-groups-search').value.trim()), 250);

$('show-public-groups').addEventListener('click', () => show(!shown));
$('public-groups-search').addEventListener('input', search);
$('public-groups-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (shown) void load($('public-groups-search').value.trim());
});
$('public-groups-more').addEventListener('click', () => nextCursor && void load(shownSearch, true));
