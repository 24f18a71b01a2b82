// Mentions, in the inbox: the latest messages that mention the viewer across their conversations (Query.mentions,
// newest first), read again each time the list is shown. Each opens its conversation, and its thread when it is a
// thread reply.
import { $, h, showError, time } from './dom.js';
import { gql } from './api.js';
import { renderContent } from './mentions.js';

const MENTION_FIELDS = 'id content createdAt deletedAt senderName threadRootId conversation { id title } mentions { id username }';
const SHOWN = 20;

let me = null;
let open = null;
let shown = false;

/** open(conversationId, threadRootId) opens a conversation, and a thread in it when given. */
export function initMentionsView(viewer, openConversation) {
  me = viewer;
  open = openConversation;
  show(false);
}

function show(on) {
  shown = on;
  $('show-mentions').setAttribute('aria-pressed', String(on));
  $('show-mentions').textContent = on ? 'Hide mentions' : 'Mentions';
  $('mentions-view').hidden = !on;
  if (on) void load();
  else $('mentions-list').replaceChildren();
}

async function load() {
  try {
    const { mentions } = await gql(`query($first: Int!) { mentions(first: $first) { edges { node { ${MENTION_FIELDS} } } } }`, {
      first: SHOWN,
    });
    if (!shown) return;
    $('mentions-list').replaceChildren(
      ...(mentions.edges.length
        ? mentions.edges.map(({ node }) => item(node))
        : [h('li', { class: 'hint' }, 'Nobody has mentioned you yet.')]),
    );
  } catch (err) {
    showError($('inbox-error'), err);
  }
}

function item(m) {
  const where = m.conversation?.title || 'a conversation';
  return h(
    'li',
    {},
    h(
      'button',
      { type: 'button', class: 'mention-item', onclick: () => open(m.conversation.id, m.threadRootId) },
      h(
        'span',
        { class: 'mention-where' },
        h('strong', {}, m.senderName),
        ` in ${where}${m.threadRootId ? ' (thread)' : ''} · `,
        h('time', { datetime: m.createdAt }, time(m.createdAt)),
      ),
      h('span', { class: 'mention-text' }, m.deletedAt ? 'Message deleted' : renderContent(m.content, m.mentions, me.id)),
    ),
  );
}

$('show-mentions').addEventListener('click', () => show(!shown));
