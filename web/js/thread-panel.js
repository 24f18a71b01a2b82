// The thread panel beside the open conversation: a main-history message (the root), its replies (the newest page
// first, older ones on scroll or with a button) and a composer that replies in the thread. Replies arrive live as
// the conversation's own MESSAGE_ADDED events with `threadRootId` set: thread.js hands them here instead of showing
// them in the main list, and each one counts in its root's summary.
import { $, showError } from './dom.js';
import { gql } from './api.js';
import { renderMessageList } from './message-list.js';
import { messageActionsFor } from './message-actions.js';
import { readHistoryMessage } from './history-lookup.js';
import { attachComposer } from './composer.js';
import { closeThreadSummary } from './summaries.js';
import { keepText, mentionable } from './assistant-replies.js';

const PAGE = 30;

let me = null;
let ctx = null;
let replyActions = null;
let p = null; // the open thread's state

/**
 * ctx: { rootFields, replyFields: what to read of a root and of a reply; rootActions: the main list's actions for
 * the root (edit, delete, pin, react); rerenderMain() }.
 */
export function initThreadPanel(viewer, context) {
  me = viewer;
  ctx = context;
  replyActions = {
    ...messageActionsFor({ current: () => p, fields: context.replyFields, rerender: () => p && render(), failed }),
    reply: undefined, // a reply in a thread quotes nothing
  };
}

export const openThreadRootId = () => p?.rootId ?? null;

/** A reply shown in the open thread (or its root when the conversation does not hold it), else undefined. */
export const threadMessage = (id) => p?.messages.get(id) ?? (p?.root?.id === id ? p.root : undefined);

/** Opens the thread of `rootId`, a message of `conv` (the open conversation's state). */
export function openThreadPanel(conv, rootId) {
  if (p?.conv === conv && p.rootId === rootId) return $('thread-composer-text').focus();
  closeThreadPanel();
  const state = {
    conv,
    rootId,
    /** The thread's replies by id; `messages` so the message actions store their answers here. */
    messages: new Map(),
    /** The root as read with the first page, for a root the conversation does not hold (older than its pages). */
    root: null,
    hasOlder: false,
    olderCursor: null,
    loading: false,
    // Pins are the conversation's: a reply pinned or unpinned shows in the bar under its title.
    get pinned() {
      return conv.pinned;
    },
  };
  p = state;
  $('app-view').classList.add('thread-open');
  $('thread-panel').hidden = false;
  showError($('thread-error'), null);
  render(true);
  $('thread-composer-text').focus();
  void loadReplies(state, false);
}

export function closeThreadPanel() {
  if (!p) return;
  p = null;
  closeThreadSummary();
  $('app-view').classList.remove('thread-open');
  $('thread-panel').hidden = true;
  $('thread-root').replaceChildren();
  $('thread-replies').replaceChildren();
  $('thread-composer-text').value = '';
  composer.reset();
}

const rootOf = (state) => state.conv.messages.get(state.rootId) ?? state.root;

/** A reply added to the thread of `root`: its summary counts it, with its time and its sender. */
function counted(root, reply) {
  const s = root.threadSummary;
  const participants = s?.participants ?? [];
  const sender = reply.sender ? { id: reply.sender.id, name: reply.senderName } : null;
  return {
    ...root,
    threadSummary: {
      replyCount: (s?.replyCount ?? 0) + 1,
      lastReplyAt: reply.createdAt,
      participants: sender && !participants.some((u) => u.id === sender.id) ? [...participants, sender] : participants,
    },
  };
}

/**
 * An event of `conv` (the open conversation) carrying a thread reply `m`: a new one counts in its root's summary, and
 * the open thread shows it (or its edit, deletion, pin or reactions).
 */
export function threadEvent(conv, type, m) {
  if (type === 'MESSAGE_ADDED') {
    const root = conv.messages.get(m.threadRootId);
    if (root) conv.messages.set(root.id, counted(root, m));
    if (p?.root?.id === m.threadRootId) p.root = counted(p.root, m);
  }
  if (p?.conv !== conv || p.rootId !== m.threadRootId) return;
  const nearEnd = isNearEnd();
  const held = p.messages.get(m.id);
  m.readBy = held?.readBy ?? []; // kept from READ events (threadRead): events do not select it
  p.messages.set(m.id, keepText(held, m));
  render();
  if (type === 'MESSAGE_ADDED' && (nearEnd || m.sender?.id === me.id)) scrollToEnd();
}

/** `user` read the conversation up to `readUpTo`: the viewer's replies they reached show it. */
export function threadRead(user, readUpTo) {
  if (!p) return;
  for (const m of p.messages.values()) {
    if (m.sender?.id === me.id && m.sequence <= readUpTo && !m.readBy.some((u) => u.id === user.id)) m.readBy = [...m.readBy, user];
  }
  render();
}

/** Before a redraw: whether the thread is read at its end; the function returned keeps it there after (answers grow). */
export function keepThreadEnd() {
  const nearEnd = !!p && isNearEnd();
  return () => nearEnd && p && scrollToEnd();
}

/** The root may have changed in the conversation's state (an event, an action): draw it again. */
export function renderThreadRoot() {
  if (p) render();
}

function render(quietly = false) {
  const root = rootOf(p);
  renderMessageList($('thread-root'), root ? [root] : [], me.id, rootActions);
  const count = root?.threadSummary?.replyCount ?? 0;
  $('thread-count').textContent = count ? `${count} ${count === 1 ? 'reply' : 'replies'}` : 'No replies yet';
  renderMessageList($('thread-replies'), p.messages.values(), me.id, replyActions, { quietly });
  $('thread-load-older').hidden = !p.hasOlder;
}

const rootActions = {
  ...Object.fromEntries(['edit', 'remove', 'pin', 'react'].map((name) => [name, (...args) => ctx.rootActions[name](...args)])),
  refresh: () => ctx.rerenderMain(),
};
function failed(err) {
  showError($('thread-error'), err);
}

async function loadReplies(state, older) {
  if (state.loading) return;
  state.loading = true;
  const scroller = $('thread-scroller');
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  try {
    const root = await readHistoryMessage(
      state.conv,
      state.rootId,
      `${ctx.rootFields} replies(last: $last, before: $before) {
        edges { node { ${ctx.replyFields} } } pageInfo { hasPreviousPage startCursor } }`,
      ', $last: Int!, $before: String',
      { last: PAGE, before: older ? state.olderCursor : null },
    );
    if (p !== state) return;
    const { replies, ...rest } = root;
    if (!state.conv.messages.has(state.rootId)) state.root ??= rest;
    // Live events may have brought newer versions of some replies already: those stay.
    for (const { node } of replies.edges) if (!state.messages.has(node.id)) state.messages.set(node.id, node);
    state.hasOlder = replies.pageInfo.hasPreviousPage;
    state.olderCursor = replies.pageInfo.startCursor ?? state.olderCursor;
    render(true);
    if (older) scroller.scrollTop = scroller.scrollHeight - fromBottom;
    else scrollToEnd();
  } catch (err) {
    if (p === state) failed(err);
  } finally {
    state.loading = false;
  }
}

async function send(content, attachmentIds) {
  const state = p;
  if (!state) return false;
  const { sendMessage } = await gql(`mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${ctx.replyFields} } }`, {
    input: { conversationId: state.conv.id, content, clientMessageId: crypto.randomUUID(), threadRootId: state.rootId, attachmentIds },
  });
  if (p !== state) return false;
  // Its event may have come first (and counted it in the summary); the answer only fills in what is missing.
  if (!state.messages.has(sendMessage.id)) state.messages.set(sendMessage.id, sendMessage);
  render();
  scrollToEnd();
  return true;
}

function isNearEnd() {
  const s = $('thread-scroller');
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}
const scrollToEnd = () => {
  const s = $('thread-scroller');
  s.scrollTop = s.scrollHeight;
};

const composer = attachComposer($('thread-composer'), $('thread-composer-text'), {
  members: () => mentionable(p?.conv.conversation),
  myId: () => me?.id,
  send,
  failed,
});
$('thread-close').addEventListener('click', closeThreadPanel);
$('thread-load-older').addEventListener('click', () => p && void loadReplies(p, true));
$('thread-scroller').addEventListener('scroll', () => {
  if (p?.hasOlder && $('thread-scroller').scrollTop < 40) void loadReplies(p, true);
});
