// Rendering of a conversation's messages, updated in place: only new or changed messages get new elements, so the
// live region (role=log) announces just those, and a message being edited keeps its form while others arrive.
import { fileSize, h, time } from './dom.js';
import { renderContent } from './mentions.js';
import { blockedStub, collapsed, reportButton } from './block-report.js';
import { aiBadge, answerContent, drawAnswer, endNote, isAnswer, isStreaming, plainText, streamingActions } from './assistant-replies.js';

// A streaming answer's text is not part of its version: it grows in place (drawAnswer), its element kept.
const versionOf = (m) =>
  [
    isStreaming(m) ? '' : m.content,
    m.status,
    m.editedAt,
    m.deletedAt,
    m.pinnedAt,
    m.readBy.map((u) => u.id).join(),
    m.replyTo?.content,
    m.replyTo?.deletedAt,
    (m.reactions ?? []).map((r) => `${r.emoji}${r.count}${r.reactedByMe}`).join(),
    (m.mentions ?? []).map((u) => u.id).join(),
    (m.attachments ?? []).map((a) => a.id).join(),
    m.threadSummary && `${m.threadSummary.replyCount}${m.threadSummary.lastReplyAt}${m.threadSummary.participants.length}`,
    collapsed(m),
  ].join('|');

/**
 * Shows `messages` (any order) in `list`. actions: { edit(m, content) -> Promise<boolean>, remove(m), reply(m), pin(m),
 * react(m, emoji, add), refresh(), openThread(m) }; without `reply` a message has no Reply, without `openThread` no
 * thread summary nor Reply in thread (a thread's own replies).
 * With `quietly` (history, not news) the live region is off for this one change.
 */
export function renderMessageList(list, messages, myId, actions, { quietly = false } = {}) {
  if (quietly) list.setAttribute('aria-live', 'off');
  const sorted = [...messages].sort((a, b) => a.sequence - b.sequence);
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  let previous = null;
  for (const m of sorted) {
    let li = existing.get(m.id);
    existing.delete(m.id);
    const version = versionOf(m);
    if (!li || li.dataset.version !== version) {
      const fresh = renderMessage(m, myId, actions);
      fresh.dataset.version = version;
      if (li) li.replaceWith(fresh);
      li = fresh;
    } else if (isStreaming(m)) {
      const text = li.querySelector('.answer-text');
      if (text) drawAnswer(text, m);
    }
    const wanted = previous ? previous.nextSibling : list.firstChild;
    if (wanted !== li) list.insertBefore(li, wanted);
    previous = li;
  }
  for (const li of existing.values()) li.remove();
  if (quietly) requestAnimationFrame(() => list.setAttribute('aria-live', 'polite'));
}

function renderMessage(m, myId, actions) {
  const mine = m.sender?.id === myId;
  const deleted = !!m.deletedAt;
  const answer = isAnswer(m) && !deleted;
  const li = h('li', {
    class: `message${mine ? ' mine' : ''}${deleted ? ' deleted' : ''}${answer ? ' answer' : ''}`,
    dataset: { id: m.id, sequence: m.sequence, ...(answer ? { status: m.status } : {}) },
    // Screen readers wait for the whole answer rather than read out every piece (role=log announces additions).
    'aria-busy': answer && isStreaming(m) ? 'true' : null,
  });
  li.append(
    h(
      'div',
      { class: 'meta' },
      h('strong', { class: 'sender' }, mine ? 'You' : m.senderName),
      answer ? aiBadge() : null,
      ' ',
      h('time', { datetime: m.createdAt }, time(m.createdAt)),
      m.editedAt && !deleted ? h('span', { class: 'edited' }, ' (edited)') : null,
      m.pinnedAt && !deleted ? h('span', { class: 'pinned-mark' }, ' · Pinned') : null,
      answer ? endNote(m) : null,
    ),
  );
  // A blocked person's message shows only who and when, until Show.
  if (collapsed(m) && !deleted) {
    li.append(blockedStub(m));
    return li;
  }
  li.append(
    answer
      ? answerContent(m)
      : h(
          'p',
          { class: 'content', hidden: !deleted && !m.content },
          deleted ? 'Message deleted' : renderContent(m.content, m.mentions, myId),
        ),
  );
  if (m.replyTo && !deleted) li.querySelector('.content').before(renderQuote(m.replyTo));
  if (answer && isStreaming(m)) {
    li.append(streamingActions(m, actions));
    return li;
  }
  if (m.attachments?.length && !deleted) li.append(renderAttachments(m.attachments));
  const short = ((answer ? plainText(m.content) : m.content) || (m.attachments ?? []).map((a) => a.name).join(', ')).slice(0, 40);
  const summary = m.threadSummary && actions.openThread ? renderThreadSummary(m, short, actions) : null;
  if (deleted) {
    if (summary) li.append(summary);
    return li;
  }
  li.append(renderReactions(m, short, actions));
  if (summary) li.append(summary);
  const reply = actions.reply
    ? h('button', { type: 'button', class: 'link', onclick: () => actions.reply(m), 'aria-label': `Reply to message: ${short}` }, 'Reply')
    : null;
  const thread = actions.openThread
    ? h(
        'button',
        { type: 'button', class: 'link', onclick: () => actions.openThread(m), 'aria-label': `Reply in thread: ${short}` },
        'Reply in thread',
      )
    : null;
  const pin = h(
    'button',
    { type: 'button', class: 'link', onclick: () => actions.pin(m), 'aria-label': `${m.pinnedAt ? 'Unpin' : 'Pin'} message: ${short}` },
    m.pinnedAt ? 'Unpin' : 'Pin',
  );
  if (!mine) li.append(h('div', { class: 'actions' }, reply, thread, pin, reportButton(m, short)));
  else {
    li.append(
      h(
        'div',
        { class: 'actions' },
        h('span', { class: 'receipt' }, m.readBy.length ? `Read by ${m.readBy.map((u) => u.name).join(', ')}` : 'Sent'),
        reply,
        thread,
        pin,
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => startEdit(li, m, actions), 'aria-label': `Edit message: ${short}` },
          'Edit',
        ),
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => actions.remove(m), 'aria-label': `Delete message: ${short}` },
          'Delete',
        ),
      ),
    );
  }
  return li;
}

/** Emoji offered by the React button. */
const PICKER = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

/** The reaction chips (each toggles the viewer's own reaction) and a React button that opens a small picker. */
function renderReactions(m, short, actions) {
  const chips = (m.reactions ?? []).map((r) =>
    h(
      'button',
      {
        type: 'button',
        class: `chip${r.reactedByMe ? ' mine' : ''}`,
        'aria-pressed': String(r.reactedByMe),
        'aria-label': `${r.emoji} ${r.count}: ${r.reactedByMe ? 'take back your reaction' : 'react'} to ${short}`,
        onclick: () => actions.react(m, r.emoji, !r.reactedByMe),
      },
      `${r.emoji} ${r.count}`,
    ),
  );
  const picker = h(
    'span',
    { class: 'picker', hidden: true },
    ...PICKER.map((emoji) =>
      h('button', { type: 'button', class: 'link', 'aria-label': `React ${emoji}`, onclick: () => actions.react(m, emoji, true) }, emoji),
    ),
  );
  const open = h(
    'button',
    { type: 'button', class: 'link', 'aria-label': `React to message: ${short}`, onclick: () => (picker.hidden = !picker.hidden) },
    'React',
  );
  return h('div', { class: 'reactions' }, ...chips, open, picker);
}

/** Largest side of an image preview, in CSS pixels (thumbnails are at most 320). */
const PREVIEW = 240;

/** Images as previews that open the image, other files as a download link with their name and size. */
function renderAttachments(attachments) {
  return h(
    'div',
    { class: 'attachments' },
    attachments.map((a) => {
      if (!a.thumbnailUrl) {
        return h(
          'a',
          { class: 'attachment-file', href: a.url, download: a.name },
          h('span', { class: 'file-icon', 'aria-hidden': 'true' }, '📄'),
          h('span', { class: 'file-name' }, a.name),
          h('span', { class: 'muted' }, ` ${fileSize(a.size)}`),
        );
      }
      const scale = Math.min(1, PREVIEW / (a.width || PREVIEW), PREVIEW / (a.height || PREVIEW));
      return h(
        'a',
        { class: 'attachment-image', href: a.url, target: '_blank', rel: 'noopener', title: `${a.name} (${fileSize(a.size)})` },
        h('img', {
          src: a.thumbnailUrl,
          alt: a.name,
          width: Math.round((a.width || PREVIEW) * scale),
          height: Math.round((a.height || PREVIEW) * scale),
        }),
      );
    }),
  );
}

const initials = (name) =>
  name
    .split(/\s+/)
    .slice(0, 2)
    .map((word) => [...word][0] ?? '')
    .join('')
    .toUpperCase();

/** "3 replies · last 10:42 · Ada, Grace" with the repliers' initials; opens the thread. */
function renderThreadSummary(m, short, actions) {
  const { replyCount, lastReplyAt, participants } = m.threadSummary;
  const count = `${replyCount} ${replyCount === 1 ? 'reply' : 'replies'}`;
  const names = participants.map((u) => u.name).join(', ');
  return h(
    'button',
    {
      type: 'button',
      class: 'thread-summary',
      onclick: () => actions.openThread(m),
      'aria-label': `${count}, last at ${time(lastReplyAt)}${names ? ` from ${names}` : ''}: open the thread of ${short || 'a deleted message'}`,
    },
    h(
      'span',
      { class: 'avatars', 'aria-hidden': 'true' },
      participants.slice(0, 3).map((u) => h('span', { class: 'avatar', title: u.name }, initials(u.name))),
    ),
    h('span', { class: 'thread-count' }, count),
    ` · last ${time(lastReplyAt)}`,
    names ? h('span', { class: 'thread-names' }, ` · ${names}`) : null,
  );
}

/** The message a reply quotes, as it is now (a deleted one says so). */
function renderQuote(quoted) {
  return h(
    'blockquote',
    { class: 'quote', dataset: { quotes: quoted.id } },
    h('strong', {}, quoted.senderName),
    ' ',
    quoted.deletedAt ? h('em', {}, 'Message deleted') : quoted.content,
  );
}

function startEdit(li, m, actions) {
  const close = () => {
    li.dataset.version = ''; // forces a fresh element on the next render
    actions.refresh();
  };
  const input = h('textarea', { rows: 2, 'aria-label': 'Edit message', maxlength: 4000 });
  input.value = m.content;
  const form = h(
    'form',
    { class: 'edit' },
    input,
    h('button', { type: 'submit' }, 'Save'),
    h('button', { type: 'button', onclick: close }, 'Cancel'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (await actions.edit(m, input.value)) close();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  li.querySelector('.content').replaceWith(form);
  li.querySelector('.actions')?.remove();
  input.focus();
}
