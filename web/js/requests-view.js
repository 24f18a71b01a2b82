// Requests, in the inbox: message requests (DIRECT conversations strangers started with the viewer, which are not in
// the conversation list until accepted) and group invitations. A request opens here, read-only, with Accept, Decline
// and Decline and block; accepting one moves it into the conversation list, to be opened there like any other.
// The count on the button is kept current by the inbox stream (conversations.js calls refreshRequests when an event
// of a request arrives).
import { $, h, showError, time } from './dom.js';
import { gql } from './api.js';

const REQUEST_FIELDS = 'id createdAt members { user { id name username } } lastMessage { content deletedAt senderName }';
const REQUEST_MESSAGE_FIELDS = 'id content createdAt deletedAt senderName';
const INVITATION_FIELDS = 'conversationId title createdAt invitedBy { id name }';
const SHOWN = 20;

let me = null;
let accepted = null;
let conversationFields = '';
let shown = false;
let requests = [];
let invitations = [];
/** The request shown open (its messages read), by conversation id. */
let opened = null;
let openedMessages = [];

/** accepted(conversation) takes an accepted request or invitation (read with `fields`) into the conversation list. */
export function initRequestsView(viewer, fields, onAccepted) {
  me = viewer;
  conversationFields = fields;
  accepted = onAccepted;
  requests = [];
  invitations = [];
  opened = null;
  show(false);
  void refreshRequests();
}

/** Reads the requests and invitations again (a request's event arrived, or the view was opened). */
export async function refreshRequests() {
  if (!me) return;
  try {
    const data = await gql(
      `query($first: Int!) { messageRequests(first: $first) { edges { node { ${REQUEST_FIELDS} } } }
        groupInvitations(first: $first) { edges { node { ${INVITATION_FIELDS} } } } }`,
      { first: SHOWN },
    );
    requests = data.messageRequests.edges.map((e) => e.node);
    invitations = data.groupInvitations.edges.map((e) => e.node);
    if (opened && requests.some((r) => r.id === opened)) await readOpened();
    else opened = null;
    render();
  } catch (err) {
    showError($('inbox-error'), err);
  }
}

function show(on) {
  shown = on;
  $('show-requests').setAttribute('aria-pressed', String(on));
  $('requests-view').hidden = !on;
  if (on) void refreshRequests();
  render();
}

const sender = (r) => r.members.find((m) => m.user.id !== me.id)?.user;

function render() {
  const count = requests.length + invitations.length;
  $('show-requests').textContent = shown ? 'Hide requests' : `Requests (${count})`;
  if (!shown) return $('requests-list').replaceChildren();
  const items = [...requests.map(requestItem), ...invitations.map(invitationItem)];
  $('requests-list').replaceChildren(...(items.length ? items : [h('li', { class: 'hint' }, 'No message requests or invitations.')]));
}

function requestItem(r) {
  const who = sender(r);
  const isOpen = opened === r.id;
  const last = r.lastMessage;
  return h(
    'li',
    { class: 'request-item', dataset: { id: r.id } },
    h(
      'button',
      { type: 'button', class: 'request-open', 'aria-expanded': String(isOpen), onclick: () => void toggle(r.id) },
      h('strong', {}, who?.name ?? 'Someone'),
      who?.username ? h('span', { class: 'muted' }, ` @${who.username}`) : null,
      h('span', { class: 'request-preview' }, last ? (last.deletedAt ? 'Message deleted' : last.content || '📎 files') : 'No messages yet'),
    ),
    isOpen
      ? h(
          'ol',
          { class: 'request-messages', 'aria-label': `Messages from ${who?.name ?? 'them'}` },
          openedMessages.map((m) =>
            h(
              'li',
              {},
              h('time', { datetime: m.createdAt }, time(m.createdAt)),
              ' ',
              m.deletedAt ? h('em', {}, 'Message deleted') : m.content || '📎 files',
            ),
          ),
        )
      : null,
    isOpen
      ? h(
          'div',
          { class: 'request-actions' },
          h('button', { type: 'button', 'aria-label': `Accept request from ${who?.name}`, onclick: () => void accept(r.id) }, 'Accept'),
          h(
            'button',
            { type: 'button', 'aria-label': `Decline request from ${who?.name}`, onclick: () => void decline(r.id, false) },
            'Decline',
          ),
          h(
            'button',
            { type: 'button', 'aria-label': `Decline and block ${who?.name}`, onclick: () => void decline(r.id, true) },
            'Decline and block',
          ),
        )
      : null,
  );
}

function invitationItem(i) {
  return h(
    'li',
    { class: 'request-item' },
    h(
      'span',
      { class: 'request-open' },
      h('strong', {}, i.title || 'A group'),
      h('span', { class: 'request-preview' }, `Invitation from ${i.invitedBy?.name ?? 'someone'} · `, time(i.createdAt)),
    ),
    h(
      'div',
      { class: 'request-actions' },
      h('button', { type: 'button', 'aria-label': `Join ${i.title || 'the group'}`, onclick: () => void join(i.conversationId) }, 'Accept'),
      h(
        'button',
        { type: 'button', 'aria-label': `Decline invitation to ${i.title || 'the group'}`, onclick: () => void refuse(i.conversationId) },
        'Decline',
      ),
    ),
  );
}

async function toggle(id) {
  opened = opened === id ? null : id;
  if (opened) await readOpened();
  render();
}

/** The open request's latest messages, oldest first; it stays unread for the viewer until accepted. */
async function readOpened() {
  const id = opened;
  const { conversation } = await gql(
    `query($id: ID!) { conversation(id: $id) { id messages(last: ${SHOWN}) { edges { node { ${REQUEST_MESSAGE_FIELDS} } } } } }`,
    { id },
  );
  if (opened === id) openedMessages = conversation?.messages.edges.map((e) => e.node) ?? [];
}

async function act(run) {
  showError($('inbox-error'), null);
  try {
    await run();
  } catch (err) {
    showError($('inbox-error'), err);
  }
  await refreshRequests();
}

const accept = (id) =>
  act(async () => {
    const { acceptMessageRequest: c } = await gql(
      `mutation($id: ID!) { acceptMessageRequest(conversationId: $id) { ${conversationFields} } }`,
      {
        id,
      },
    );
    opened = null;
    accepted(c);
  });

const decline = (id, block) =>
  act(async () => {
    await gql('mutation($id: ID!, $block: Boolean) { declineMessageRequest(conversationId: $id, block: $block) }', { id, block });
    opened = null;
  });

const join = (id) =>
  act(async () => {
    const { acceptGroupInvitation: c } = await gql(
      `mutation($id: ID!) { acceptGroupInvitation(conversationId: $id) { ${conversationFields} } }`,
      {
        id,
      },
    );
    accepted(c);
  });

const refuse = (id) => act(() => gql('mutation($id: ID!) { declineGroupInvitation(conversationId: $id) }', { id }));

$('show-requests').addEventListener('click', () => show(!shown));
