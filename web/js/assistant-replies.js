// The assistant's answers in a conversation (a message mentioning @assistant gets one, from a bot user with the
// username "assistant" that is not a member). An answer is marked AI and drawn as markdown (markdown.js). While it is
// STREAMING its text grows in place from MESSAGE_DELTA pieces, with a caret and Stop; MESSAGE_COMPLETED then brings
// the final text, and a STOPPED or FAILED one says so quietly. Also the fixed @assistant entry of the @ list.
import { gql } from './api.js';
import { h } from './dom.js';
import { renderMarkdown } from './markdown.js';

const USERNAME = 'assistant';
/** What the message selections add for answers: where one is in its life, and how many pieces its text holds. */
export const ANSWER_FIELDS = 'status streamedDeltas';

export const isAnswer = (m) => m?.sender?.username === USERNAME;
export const isStreaming = (m) => m?.status === 'STREAMING';

/** The @ list's entry for the assistant: a user-shaped stand-in (it is no member, so not in `members`). */
const ENTRY = { role: null, user: { id: `@${USERNAME}`, name: 'Assistant (AI)', username: USERNAME } };

/** Who the @ list offers in conversation `c`: its members, and the assistant where it answers (assistantEnabled). */
export const mentionable = (c) => (c ? (c.assistantEnabled ? [...c.members, ENTRY] : c.members) : undefined);

// ---- the text of a streaming answer -----------------------------------------------------------------------------

/** Pieces that came before one still missing, by message id; taken once the text reaches them. */
const ahead = new Map();
/** Messages whose missing pieces are being read back (their text so far), so one request at a time. */
const rereading = new Set();

/** Appends the waiting pieces that continue `m`'s text; those already in it go. Returns whether it grew. */
function takeAhead(m) {
  const pieces = ahead.get(m.id);
  if (!pieces) return false;
  let grew = false;
  while (pieces.has(m.streamedDeltas)) {
    m.content = (m.content ?? '') + pieces.get(m.streamedDeltas);
    pieces.delete(m.streamedDeltas);
    m.streamedDeltas += 1;
    grew = true;
  }
  for (const index of pieces.keys()) if (index < m.streamedDeltas) pieces.delete(index);
  if (!pieces.size) ahead.delete(m.id);
  return grew;
}

/**
 * A newer copy of message `m` (`fresh`, from an event or a query) replaces the one held (`held`): an answer still
 * streaming keeps whichever text holds more pieces (an event's copy can be older than the pieces taken since), and
 * an answer that ended forgets its waiting pieces. Changes `fresh`; returns it.
 */
export function keepText(held, fresh) {
  if (!isStreaming(fresh)) {
    ahead.delete(fresh.id);
    return fresh;
  }
  if (isStreaming(held) && held.streamedDeltas > fresh.streamedDeltas) {
    fresh.content = held.content;
    fresh.streamedDeltas = held.streamedDeltas;
  }
  takeAhead(fresh);
  return fresh;
}

/**
 * A MESSAGE_DELTA `delta` for the open conversation: appended, in index order, to the streaming message `find(id)`
 * returns (a piece already in its text skipped, one that came early kept until the text reaches it). A piece that
 * went by before this page followed the stream (between reading the history and subscribing) is read back as the
 * message's text so far. `draw()` is called when a text grew (the owner draws at most once per frame).
 */
export function onDelta(delta, find, draw) {
  const m = delta && find(delta.messageId);
  if (!isStreaming(m) || delta.index < m.streamedDeltas) return;
  const pieces = ahead.get(m.id) ?? new Map();
  pieces.set(delta.index, delta.text);
  ahead.set(m.id, pieces);
  if (takeAhead(m)) draw();
  if (ahead.has(m.id)) void reread(m.id, find, draw);
}

async function reread(id, find, draw) {
  if (rereading.has(id)) return;
  rereading.add(id);
  try {
    const { message } = await gql(`query($id: ID!) { message(id: $id) { id content ${ANSWER_FIELDS} } }`, { id });
    const held = find(id);
    if (!message || !isStreaming(held)) return;
    const before = held.streamedDeltas;
    if (isStreaming(message) && message.streamedDeltas > held.streamedDeltas) {
      held.content = message.content;
      held.streamedDeltas = message.streamedDeltas;
    }
    takeAhead(held);
    if (held.streamedDeltas !== before) draw();
  } catch {
    // MESSAGE_COMPLETED brings the whole text all the same.
  } finally {
    rereading.delete(id);
  }
}

// ---- drawing ------------------------------------------------------------------------------------------------------

/** What each answer's content element shows now (so a draw with the same text does nothing). */
const drawn = new WeakMap();
const END_NOTE = { STOPPED: 'stopped', FAILED: 'failed' };

/** An answer's text without markdown's marks, for the labels that name it ("Reply to message: ..."). */
export const plainText = (text) =>
  (text ?? '')
    .replace(/[*_`#>~|]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** The badge by the assistant's name. */
export const aiBadge = () => h('span', { class: 'ai-badge', title: 'An answer from the AI assistant' }, 'AI');

/** After the time: an answer that did not complete says so. */
export function endNote(m) {
  const note = END_NOTE[m.status];
  return note ? h('span', { class: `answer-end ${m.status.toLowerCase()}` }, ` · ${note}`) : null;
}

/** The answer's text as a content element (markdown). */
export function answerContent(m) {
  const el = h('div', { class: 'content answer-text' });
  drawAnswer(el, m);
  return el;
}

/** Draws `m`'s text into its content element when it changed, with a caret at its end while it streams. */
export function drawAnswer(el, m) {
  const text = m.content ?? '';
  if (drawn.get(el) === text) return;
  drawn.set(el, text);
  el.classList.add('md');
  el.replaceChildren(renderMarkdown(text));
  if (!isStreaming(m)) return;
  // The caret goes where the next words will: inside the last paragraph, list item or heading.
  let end = el;
  while (end.lastElementChild && /^(P|UL|OL|LI|BLOCKQUOTE|H[1-6])$/.test(end.lastElementChild.tagName)) end = end.lastElementChild;
  end.append(h('span', { class: 'answer-caret', 'aria-hidden': 'true' }));
}

/** The answer's actions while it streams: Stop (any member may). */
export function streamingActions(m, actions) {
  return h(
    'div',
    { class: 'actions' },
    h('span', { class: 'answer-writing muted' }, 'Writing…'),
    actions.stop
      ? h(
          'button',
          { type: 'button', class: 'link stop-answer', 'aria-label': "Stop the assistant's answer", onclick: () => actions.stop(m) },
          'Stop',
        )
      : null,
  );
}
