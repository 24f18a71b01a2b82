// The open conversation: history (older pages on scroll), live events resumed with afterSequence, send / edit /
// delete, typing indicators both ways (typing.js), read receipts, @mentions, and the thread panel (thread-panel.js),
// whose replies come through this conversation's events.
import { $, showError } from './dom.js';
import { renderHead } from './conversation-head.js';
import { renderMessageList } from './message-list.js';
import { replyBar } from './reply-bar.js';
import { loadPins, notePin, PINNED_FIELDS, renderPins } from './pins.js';
import { messageActionsFor } from './message-actions.js';
import { clearTyping, onTyping, stopTyping, typed, typingState } from './typing.js';
import {
  closeThreadPanel,
  initThreadPanel,
  keepThreadEnd,
  openThreadPanel,
  openThreadRootId,
  renderThreadRoot,
  threadEvent,
  threadMessage,
  threadRead,
} from './thread-panel.js';
import { mentionedMembers } from './mentions.js';
import { attachComposer } from './composer.js';
import { gql, live } from './api.js';
import { GROUP_FIELDS } from './group-panel.js';
import { initBlockReport } from './block-report.js';
import { readMarker, SUMMARIZE_FROM } from './read-marker.js';
import { closeSummaries, initSummaries, renderSummarize } from './summaries.js';
import { ANSWER_FIELDS, keepText, mentionable, onDelta } from './assistant-replies.js';
import { perFrame } from './markdown.js';

const ATTACHMENT_FIELDS = 'id name contentType size width height url thumbnailUrl';
// What every event selects, within the per-event cost budget (no more lists): read receipts are kept from READ
// events, thread summaries counted from the replies' events, and a live message's mentions read from its text.
const EVENT_MESSAGE_FIELDS = `id sequence content createdAt editedAt deletedAt pinnedAt senderName senderBlockedByViewer sender { id username }
  ${ANSWER_FIELDS} replyTo { id content deletedAt senderName } reactions { emoji count reactedByMe } threadRootId attachments { ${ATTACHMENT_FIELDS} }`;
/** A thread reply, as pages and answers read it. */
const REPLY_FIELDS = `${EVENT_MESSAGE_FIELDS} readBy { id name } mentions { id username }`;
/** A message of the main history, as pages and answers read it. */
export const MESSAGE_FIELDS = `${REPLY_FIELDS} threadSummary { replyCount lastReplyAt participants { id name } }`;
const PRESENCE_FIELDS = 'members { user { id presence { status } } }';
const PAGE = 30;

let me = null;
let hooks = null;
let t = null; // the open thread's state
const reads = readMarker({ current: () => t?.id ?? null, marked: (id) => hooks?.markedRead(id), changed: () => renderSummarize() });
const markRead = () => reads.mark();
initSummaries(reads, () => t?.id ?? null, openThreadRootId);

/** hooks: { markedRead(conversationId) }, called when the viewer's read pointer moved. */
export function initThread(viewer, threadHooks) {
  me = viewer;
  hooks = threadHooks;
  initThreadPanel(viewer, {
    rootFields: MESSAGE_FIELDS,
    replyFields: REPLY_FIELDS,
    rootActions: messageActions,
    rerenderMain: () => t && renderMessages(),
  });
  void initBlockReport(() => t?.conversation && (renderHeader(), renderMessages()));
}

export const openConversationId = () => t?.id ?? null;

export function closeThread() {
  if (!t) return;
  reads.leave(t.id);
  closeSummaries();
  t.stops.forEach((stop) => stop());
  stopTyping(t);
  closeThreadPanel();
  composer.reset(); // files waiting were for this conversation
  t = null;
  renderHead(null);
  $('conversation-placeholder').hidden = false;
  $('message-scroller').hidden = true;
  $('composer').hidden = true;
  replyBar.cancel(t);
  renderPins(null);
  $('message-list').replaceChildren();
  showError($('conversation-error'), null);
}

/** Opens a conversation, and the thread of `threadRootId` in it when given. */
export async function openThread(conversationId, conversationFields, threadRootId = null) {
  closeThread();
  const state = {
    id: conversationId,
    messages: new Map(),
    /** History cursors by message id, from the pages read (history-lookup.js reads a message again with them). */
    cursors: new Map(),
    lastSequence: 0,
    olderCursor: null,
    hasOlder: false,
    loading: false,
    ...typingState(),
    stops: [],
    conversation: null,
    /** The message the next one sent quotes (startReply), or null. */
    replyTo: null,
  };
  t = state;
  showError($('conversation-error'), null);
  $('conversation-notice').textContent = '';
  try {
    const data = await gql(
      `query($id: ID!, $last: Int!) { conversation(id: $id) { ${conversationFields} ${GROUP_FIELDS}
        pinnedMessages { ${PINNED_FIELDS} }
        messages(last: $last) { edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasPreviousPage startCursor } } } }`,
      { id: conversationId, last: PAGE },
    );
    if (t !== state) return;
    const c = data.conversation;
    if (!c) throw new Error('This conversation is no longer available.');
    state.conversation = c;
    state.lastSequence = c.lastSequence;
    state.hasOlder = c.messages.pageInfo.hasPreviousPage;
    state.olderCursor = c.messages.pageInfo.startCursor;
    for (const e of c.messages.edges) {
      state.messages.set(e.node.id, e.node);
      state.cursors.set(e.node.id, e.cursor);
    }
    loadPins(state, c.pinnedMessages);
    // A backlog stays unread until the viewer acts in it, so Summarize unread can summarize it.
    if (c.unreadCount >= SUMMARIZE_FROM) reads.hold(state.id, c.unreadCount);
    renderHeader();
    $('conversation-placeholder').hidden = true;
    $('message-scroller').hidden = false;
    $('composer').hidden = false;
    renderQuietly();
    scrollToEnd();
    subscribe(state);
    markRead();
    if (threadRootId) openThreadPanel(state, threadRootId);
  } catch (err) {
    if (t === state) showError($('conversation-error'), err);
  }
}

function subscribe(state) {
  state.stops.push(
    live({
      // Every (re)subscription resumes after the last event seen, so a reconnect loses and repeats nothing.
      operation: () => ({
        query: `subscription($id: ID!, $after: Int) { conversationEvents(conversationId: $id, afterSequence: $after) {
          type sequence readUpTo user { id name } delta { messageId index text } message { ${EVENT_MESSAGE_FIELDS} } } }`,
        variables: { id: state.id, after: state.lastSequence },
      }),
      next: ({ conversationEvents: e }) => onEvent(state, e),
      error: (err) => showError($('conversation-error'), err),
    }),
    live({
      operation: () => ({
        query: 'subscription($id: ID!) { typing(conversationId: $id) { isTyping user { id name } } }',
        variables: { id: state.id },
      }),
      next: ({ typing }) => t === state && onTyping(state, typing),
    }),
  );
}

function onEvent(state, e) {
  // A piece of a streaming answer carries its message's sequence (already seen): it grows that message in place.
  if (t === state && e.type === 'MESSAGE_DELTA') return onDelta(e.delta, findMessage, drawSoon);
  if (t !== state || e.sequence <= state.lastSequence) return;
  state.lastSequence = e.sequence;
  if (e.message) {
    const message = e.message;
    message.mentions = mentionedMembers(message.content, state.conversation.members, message.sender?.id);
    notePin(state, message);
    const nearEnd = isNearEnd();
    // A thread reply is not part of the main history: it counts in its root's summary and shows in its thread.
    if (message.threadRootId) threadEvent(state, e.type, message);
    else {
      const held = state.messages.get(message.id);
      keepText(held, message);
      Object.assign(message, { readBy: held?.readBy ?? [], threadSummary: held?.threadSummary ?? null });
      state.messages.set(message.id, message);
      // Replies quote a message as it is now: an edit or a deletion shows in their quotes too.
      for (const m of state.messages.values()) {
        if (m.replyTo?.id === message.id) m.replyTo = { ...m.replyTo, content: message.content, deletedAt: message.deletedAt };
      }
    }
    renderMessages();
    if (e.type === 'MESSAGE_ADDED' && !message.threadRootId && (nearEnd || message.sender?.id === me.id)) scrollToEnd();
    if (e.type === 'MESSAGE_ADDED' && e.message.sender?.id !== me.id) {
      clearTyping(state, e.message.sender?.id);
      markRead();
    }
  } else if (e.type === 'READ' && e.user && e.user.id !== me.id) {
    for (const m of state.messages.values()) {
      if (m.sender?.id === me.id && m.sequence <= e.readUpTo && !m.readBy.some((u) => u.id === e.user.id)) m.readBy = [...m.readBy, e.user];
    }
    threadRead(e.user, e.readUpTo);
    renderMessages();
    // A stranger's presence shows OFFLINE until they accept the message request; reading it is the sign they have.
    const other = state.conversation.members.find((m) => m.user.id === e.user.id);
    if (state.conversation.kind === 'DIRECT' && other?.user.presence?.status === 'OFFLINE') void refreshPresence(state);
  } else if (e.type !== 'READ') {
    void refreshHeader(state);
  }
}

async function refreshHeader(state) {
  const { conversation } = await gql(`query($id: ID!) { conversation(id: $id) { id title ${GROUP_FIELDS} } }`, { id: state.id });
  if (t !== state || !conversation) return;
  Object.assign(state.conversation, conversation);
  renderHeader();
}

async function refreshPresence(state) {
  const { conversation } = await gql(`query($id: ID!) { conversation(id: $id) { id ${PRESENCE_FIELDS} } }`, { id: state.id });
  if (t !== state || !conversation) return;
  for (const m of conversation.members) presenceChanged(m.user.id, m.user.presence.status);
}

/** Presence of the open conversation's members changed (from the presence subscription). */
export function presenceChanged(userId, status) {
  const member = t?.conversation?.members.find((m) => m.user.id === userId);
  if (!member) return;
  member.user.presence = { status };
  renderHeader();
}

const renderHeader = () => renderHead(t.conversation, me.id);

const renderMessages = () => {
  renderMessageList($('message-list'), t.messages.values(), me.id, messageActions);
  $('load-older').hidden = !t.hasOlder;
  renderThreadRoot();
};
/** A message of the open conversation, in its history or the open thread. */
const findMessage = (id) => t?.messages.get(id) ?? threadMessage(id);
/** Draws what streaming answers added, once per frame, following them down when the reader is at the end. */
const drawSoon = perFrame(() => {
  if (!t) return;
  const nearEnd = isNearEnd();
  const keepThread = keepThreadEnd();
  renderMessages();
  if (nearEnd) scrollToEnd();
  keepThread();
});
const renderQuietly = () => {
  renderMessageList($('message-list'), t.messages.values(), me.id, messageActions, { quietly: true });
  $('load-older').hidden = !t.hasOlder;
};
const messageActions = {
  ...messageActionsFor({
    current: () => t,
    fields: MESSAGE_FIELDS,
    rerender: () => t && renderMessages(),
    failed: (err) => showError($('conversation-error'), err),
  }),
  openThread: (m) => t && openThreadPanel(t, m.id),
};

async function loadOlder() {
  const state = t;
  if (!state || !state.hasOlder || state.loading) return;
  state.loading = true;
  const scroller = $('message-scroller');
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  try {
    const { messages } = await gql(
      `query($id: ID!, $before: String, $last: Int!) { messages(conversationId: $id, last: $last, before: $before) {
        edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasPreviousPage startCursor } } }`,
      { id: state.id, before: state.olderCursor, last: PAGE },
    );
    if (t !== state) return;
    for (const e of messages.edges) {
      if (!state.messages.has(e.node.id)) state.messages.set(e.node.id, e.node);
      state.cursors.set(e.node.id, e.cursor);
    }
    state.hasOlder = messages.pageInfo.hasPreviousPage;
    state.olderCursor = messages.pageInfo.startCursor ?? state.olderCursor;
    renderQuietly();
    scroller.scrollTop = scroller.scrollHeight - fromBottom; // keep the reader's place
  } catch (err) {
    showError($('conversation-error'), err);
  } finally {
    state.loading = false;
  }
}

function isNearEnd() {
  const s = $('message-scroller');
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}
const scrollToEnd = () => {
  const s = $('message-scroller');
  s.scrollTop = s.scrollHeight;
};

$('reply-cancel').addEventListener('click', () => replyBar.cancel(t));

async function send(content, attachmentIds) {
  const state = t;
  if (!state) return false;
  state.typingSent = 0; // sending ends typing on the server
  const { sendMessage } = await gql(`mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${MESSAGE_FIELDS} } }`, {
    input: { conversationId: state.id, content, clientMessageId: crypto.randomUUID(), replyToId: state.replyTo?.id ?? null, attachmentIds },
  });
  if (t !== state) return false;
  replyBar.cancel(state);
  state.messages.set(sendMessage.id, sendMessage);
  renderMessages();
  scrollToEnd();
  return true;
}

/** REQUEST_LIMIT said with who has not accepted yet (the server's text does not know the viewer's names). */
function requestLimitSaid(err) {
  if (err?.extensions?.reason !== 'REQUEST_LIMIT') return err;
  const other = t?.conversation?.members.find((m) => m.user.id !== me.id)?.user.name ?? 'They';
  return new Error(
    `${other} has not accepted your message request yet. Until they do, you can send at most 3 messages; this one was not sent.`,
  );
}

const composer = attachComposer($('composer'), $('composer-text'), {
  members: () => mentionable(t?.conversation),
  myId: () => me?.id,
  send,
  failed: (err) => showError($('conversation-error'), requestLimitSaid(err)),
});
$('composer-text').addEventListener('input', () => t && typed(t, $('composer-text').value.trim() !== ''));
$('load-older').addEventListener('click', () => void loadOlder());
$('message-scroller').addEventListener('scroll', () => {
  if ($('message-scroller').scrollTop < 40) void loadOlder();
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && t) markRead();
});
