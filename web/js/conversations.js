// The conversation list (unread and mention badges, presence dots, live through the inbox stream) and people search.
import { $, debounce, h, presenceDot, showError } from './dom.js';
import { gql, live, onReconnected } from './api.js';
import { closeThread, initThread, openConversationId, openThread, presenceChanged } from './thread.js';
import { initMentionsView } from './mentions-view.js';
import { followSettings, initSettings, renderSettings } from './conversation-settings.js';
import { initPublicGroups } from './public-groups.js';
import { joinInviteInAddress } from './invite-links.js';
import { initRequestsView, refreshRequests } from './requests-view.js';
import { initNewGroup, stopNewGroup } from './new-group.js';

const SUMMARY_FIELDS =
  'id kind messageRequest title unreadCount unreadMentionCount lastSequence lastActivityAt viewerSettings { muted archived pinned } lastMessage { content deletedAt senderName sender { id } }';
const CONVERSATION_FIELDS = `${SUMMARY_FIELDS} members { user { id name username presence { status } } }`;

let me = null;
let conversations = new Map();
let stops = [];
/** The `cursor` of the last inbox event received: a resubscription resumes right after it. */
let inboxCursor = null;
let stopInbox = () => {};
/** Whether the list shows the archived conversations instead of the others. */
let showArchived = false;

export function startConversations(viewer) {
  me = viewer;
  conversations = new Map();
  initThread(viewer, {
    markedRead: (id) => {
      const c = conversations.get(id);
      if (c) read(c);
      renderList();
    },
  });
  initMentionsView(viewer, open);
  initSettings({ conversation: (id) => conversations.get(id), changed: () => renderList() });
  initPublicGroups(open, (id) => conversations.has(id));
  initRequestsView(viewer, CONVERSATION_FIELDS, (c) => {
    merge(c);
    renderList();
  });
  initNewGroup(CONVERSATION_FIELDS, (c) => {
    merge(c);
    open(c.id);
  });
  void joinInviteInAddress(open);
  void loadList();
  inboxCursor = null;
  followInbox();
  stops = [
    () => stopInbox(),
    followSettings(),
    live({
      operation: () => ({ query: 'subscription { presenceChanged { status user { id } } }' }),
      next: ({ presenceChanged: p }) => onPresence(p.user.id, p.status),
    }),
  ];
}

// The inbox stream: every conversation of mine, including ones started with me later. Every (re)subscription
// resumes after the last event received, so a reconnect misses nothing and repeats nothing.
function followInbox() {
  stopInbox = live({
    operation: () => ({
      query: `subscription($cursor: String) { conversationEvents(afterCursor: $cursor) {
        type sequence conversationId cursor conversation { ${SUMMARY_FIELDS} } } }`,
      variables: { cursor: inboxCursor },
    }),
    next: ({ conversationEvents: e }) => {
      inboxCursor = e.cursor;
      void onInboxEvent(e);
    },
    error: (err) => {
      if (err.extensions?.reason !== 'INVALID_CURSOR') return showError($('inbox-error'), err);
      // A cursor the server no longer takes (its AUTH_SECRET changed): read the list again and follow from now.
      inboxCursor = null;
      stopInbox();
      followInbox();
      void loadList();
    },
  });
}

export function stopConversations() {
  stops.forEach((stop) => stop());
  stops = [];
  inboxCursor = null;
  closeThread();
  stopNewGroup();
  conversations = new Map();
  showArchived = false;
  $('conversation-settings').hidden = true;
  $('show-archived').hidden = true;
  $('conversation-list').replaceChildren();
  $('people-results').replaceChildren();
  $('people-search').value = '';
  showError($('inbox-error'), null);
}

// While the socket was down, messages may have arrived: the list is read again (the open thread resumes by itself).
onReconnected(() => {
  if (!me) return;
  void refreshRequests();
  void loadList();
});

async function loadList() {
  try {
    // Within the query cost budget: the 40 most recent conversations and the 20 most recently archived.
    const data = await gql(`{ conversations(first: 40) { edges { node { ${CONVERSATION_FIELDS} } } }
      archived: conversations(first: 20, archived: true) { edges { node { ${CONVERSATION_FIELDS} } } } }`);
    for (const { node } of [...data.conversations.edges, ...data.archived.edges]) merge(node);
    renderList();
  } catch (err) {
    showError($('inbox-error'), err);
  }
}

/** Keeps whichever copy of a conversation is newer (a list reply can be older than an event that overtook it). */
function merge(c) {
  const known = conversations.get(c.id);
  if (known && known.lastSequence > c.lastSequence) return;
  conversations.set(c.id, { ...known, ...c, members: c.members ?? known?.members ?? [] });
}

async function onInboxEvent(e) {
  const known = conversations.get(e.conversationId);
  if (!known?.members?.length) {
    // A conversation new to this list: fetch it with its members.
    try {
      const { conversation } = await gql(`query($id: ID!) { conversation(id: $id) { ${CONVERSATION_FIELDS} } }`, { id: e.conversationId });
      // A message request is listed under Requests until accepted, not here.
      if (conversation?.messageRequest) return void refreshRequests();
      if (conversation) merge(conversation);
    } catch (err) {
      return showError($('inbox-error'), err);
    }
  } else merge(e.conversation);
  const c = conversations.get(e.conversationId);
  if (c && openConversationId() === c.id) read(c);
  renderList();
}

function onPresence(userId, status) {
  for (const c of conversations.values()) {
    for (const m of c.members ?? []) if (m.user.id === userId) m.user.presence = { status };
  }
  presenceChanged(userId, status);
  renderList();
}

function preview(c) {
  const m = c.lastMessage;
  if (!m) return 'No messages yet';
  const who = m.sender?.id === me.id ? 'You' : m.senderName;
  return `${who}: ${m.deletedAt ? 'message deleted' : m.content || '📎 files'}`;
}

/** Pinned first, then by activity, newest first (the server's order); archived ones only when asked for. */
function listed() {
  const all = [...conversations.values()];
  const archived = all.filter((c) => c.viewerSettings?.archived).length;
  $('show-archived').hidden = archived === 0 && !showArchived;
  $('show-archived').textContent = showArchived ? 'Back to conversations' : `Archived (${archived})`;
  $('show-archived').setAttribute('aria-pressed', String(showArchived));
  return all
    .filter((c) => !!c.viewerSettings?.archived === showArchived)
    .sort(
      (a, b) =>
        Number(!!b.viewerSettings?.pinned) - Number(!!a.viewerSettings?.pinned) ||
        String(b.lastActivityAt).localeCompare(String(a.lastActivityAt)),
    );
}

function renderList() {
  const list = listed();
  renderSettings(conversations.get(openConversationId()));
  $('inbox-empty').hidden = list.length > 0 || showArchived;
  $('conversation-list').replaceChildren(
    ...list.map((c) => {
      const other = c.kind === 'DIRECT' ? c.members?.find((m) => m.user.id !== me.id) : null;
      const current = openConversationId() === c.id;
      const unread = current ? 0 : c.unreadCount;
      const mentions = current ? 0 : c.unreadMentionCount;
      return h(
        'li',
        { dataset: { id: c.id } },
        h(
          'button',
          {
            type: 'button',
            class: `conversation-item${current ? ' current' : ''}`,
            'aria-current': current ? 'true' : null,
            onclick: () => open(c.id),
          },
          other ? presenceDot(other.user.presence?.status) : h('span', { class: 'dot group', 'aria-hidden': 'true' }),
          h(
            'span',
            { class: 'item-text' },
            h(
              'span',
              { class: 'item-title' },
              c.title || 'Conversation',
              c.viewerSettings?.pinned ? h('span', { class: 'muted', 'aria-label': 'pinned' }, ' · pinned') : null,
              c.viewerSettings?.muted ? h('span', { class: 'muted', 'aria-label': 'muted' }, ' · muted') : null,
            ),
            h('span', { class: 'item-preview' }, preview(c)),
          ),
          mentions > 0
            ? h(
                'span',
                { class: 'mention-badge', 'aria-label': `${mentions} unread ${mentions === 1 ? 'mention' : 'mentions'}` },
                `@${mentions}`,
              )
            : null,
          unread > 0 ? h('span', { class: 'badge', 'aria-label': `${unread} unread` }, String(unread)) : null,
        ),
      );
    }),
  );
}

/** The open conversation is read: its badges go, as the server's counts do once the read pointer moves. */
function read(c) {
  c.unreadCount = 0;
  c.unreadMentionCount = 0;
}

function open(id, threadRootId = null) {
  void openThread(id, CONVERSATION_FIELDS, threadRootId);
  const c = conversations.get(id);
  if (c) read(c);
  renderList();
}

$('show-archived').addEventListener('click', () => {
  showArchived = !showArchived;
  renderList();
});

// ---- people search ----------------------------------------------------------------------------------------------

const search = debounce(async (text) => {
  const results = $('people-results');
  if (!text) return results.replaceChildren();
  try {
    const { users } = await gql('query($search: String) { users(search: $search, first: 8) { edges { node { id name username } } } }', {
      search: text,
    });
    if ($('people-search').value.trim() !== text) return;
    results.replaceChildren(
      ...(users.edges.length
        ? users.edges.map(({ node: u }) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: 'person', onclick: () => startWith(u) },
                `Message ${u.name}`,
                u.username ? h('span', { class: 'muted' }, ` @${u.username}`) : null,
              ),
            ),
          )
        : [h('li', { class: 'hint' }, 'Nobody found.')]),
    );
  } catch (err) {
    showError($('inbox-error'), err);
  }
}, 250);

async function startWith(user) {
  showError($('inbox-error'), null);
  try {
    const { startDirectConversation: c } = await gql(
      `mutation($id: ID!) { startDirectConversation(userId: $id) { ${CONVERSATION_FIELDS} } }`,
      { id: user.id },
    );
    merge(c);
    $('people-search').value = '';
    $('people-results').replaceChildren();
    open(c.id);
    $('composer-text').focus();
  } catch (err) {
    showError($('inbox-error'), err);
  }
}

$('people-search').addEventListener('input', () => search($('people-search').value.trim()));
$('people-form').addEventListener('submit', (e) => e.preventDefault());
