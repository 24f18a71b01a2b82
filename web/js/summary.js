// AI summaries of a conversation's unread messages or of a thread (summarizeConversation): the summary streams into
// a panel as markdown, its sources (ChatSource, cited as [i] in the text) are numbered links that scroll to the
// message and highlight it when it is loaded, Stop ends it (stopChat), and refusals and failures are said in plain
// words. A dropped socket resumes the run with chatStream after the last event seen.
import { h, showError } from './dom.js';
import { ApiError, gql, live } from './api.js';
import { perFrame, showMarkdown } from './markdown.js';

const EVENT_FIELDS = `__typename
  ... on ChatStarted { assistantMessageId }
  ... on ChatSource { index messageId }
  ... on ChatToken { index delta }
  ... on ChatCompleted { answer { content status } }
  ... on ChatStopped { answer { content status } }
  ... on ChatError { code message answer { content } }`;

const PLAIN = {
  RATE_LIMITED: 'Too many AI requests at once. Wait a moment, then try again.',
  NOT_FOUND: 'This conversation or thread is no longer there for you, so it cannot be summarized.',
  SERVICE_UNAVAILABLE: 'The AI model is not available right now. Try again later.',
  BAD_USER_INPUT: 'This cannot be summarized.',
};
const plainError = (code, message) => {
  // The server says which budget is spent and when it renews; a rate limit says when to try again.
  if (code === 'QUOTA_EXCEEDED') return `No summary: ${message}`;
  if (code === 'RATE_LIMITED' && /Try again in/.test(message)) return message;
  return PLAIN[code] ?? `The summary failed: ${message}`;
};

const HIGHLIGHT_MS = 4000;

/**
 * A summary panel in `el`. opts: { title(scope), lists: CSS selector of the message lists its sources are found in,
 * started(scope): the run was accepted (ChatStarted) }. Returns { start(conversationId, scope, threadRootId), close() }.
 */
export function summaryPanel(el, opts) {
  let run = null;
  const text = h('div', { class: 'summary-text md', 'aria-live': 'off' });
  const status = h('p', { class: 'summary-status', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const sources = h('ol', { class: 'summary-sources', 'aria-label': 'Sources' });
  const stop = h('button', { type: 'button', class: 'link', hidden: true }, 'Stop');
  const heading = h('h3', {});
  const close = () => {
    run?.end();
    run = null;
    el.hidden = true;
  };
  el.replaceChildren(
    h(
      'div',
      { class: 'summary-head' },
      heading,
      h('span', { class: 'buttons' }, stop, h('button', { type: 'button', class: 'link', onclick: close }, 'Close summary')),
    ),
    status,
    text,
    error,
    sources,
  );
  el.hidden = true;

  const draw = (r) => {
    showMarkdown(text, r.content);
    linkCitations(text, r.sources, (i) => goTo(r, i));
    sources.replaceChildren(...r.sources.map((id, i) => (id ? h('li', {}, sourceButton(r, i)) : null)));
  };

  const sourceButton = (r, i) => {
    const li = findMessage(r.sources[i]);
    const who = li?.querySelector('.sender')?.textContent;
    const content = li?.querySelector('.content')?.textContent ?? '';
    const said = content.length > 40 ? `${content.slice(0, 40)}…` : content;
    const label = li ? `${who}: ${said || 'files'}` : 'an older message';
    return h(
      'button',
      { type: 'button', class: 'link source', 'aria-label': `Source ${i + 1}: ${label}`, onclick: () => goTo(r, i) },
      `[${i + 1}] ${label}`,
    );
  };

  const findMessage = (id) =>
    document.querySelector(
      opts.lists
        .split(',')
        .map((list) => `${list.trim()} li.message[data-id="${CSS.escape(id)}"]`)
        .join(', '),
    );

  function goTo(r, i) {
    const li = findMessage(r.sources[i]);
    if (!li) return (status.textContent = `Source ${i + 1} is older than the messages loaded: load older messages to read it.`);
    document.querySelectorAll('.message.cited').forEach((m) => m.classList.remove('cited'));
    li.classList.add('cited');
    // Only the message list scrolls (scrollIntoView would move the page too).
    const scroller = li.closest('.messages');
    if (scroller) {
      const offset = li.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      scroller.scrollTop += offset - (scroller.clientHeight - li.offsetHeight) / 2;
    }
    setTimeout(() => li.classList.remove('cited'), HIGHLIGHT_MS);
  }

  function finish(r, content, state, message = null) {
    if (run !== r || r.done) return;
    r.done = true;
    if (content != null) r.content = content;
    r.end();
    stop.hidden = true;
    status.textContent = { COMPLETE: '', STOPPED: 'Stopped.', FAILED: '' }[state] ?? '';
    showError(error, message ? new Error(message) : null);
    draw(r);
  }

  function onEvent(r, e) {
    if (run !== r) return;
    if (e.index != null) {
      if (e.index <= r.lastIndex) return;
      r.lastIndex = e.index;
    }
    switch (e.__typename) {
      case 'ChatStarted':
        r.messageId = e.assistantMessageId;
        stop.hidden = false;
        opts.started?.(r.scope);
        return;
      case 'ChatSource':
        r.sources.push(e.messageId);
        return r.redraw();
      case 'ChatToken':
        r.content += e.delta;
        return r.redraw();
      case 'ChatCompleted':
      case 'ChatStopped':
        return finish(r, e.answer.content, e.answer.status);
      case 'ChatError':
        return finish(r, e.answer?.content ?? null, 'FAILED', plainError(e.code, e.message));
    }
  }

  /** Summarizes `scope` of the conversation (the thread of threadRootId for THREAD) with `model` (null: the default). */
  function start(conversationId, scope, threadRootId = null, model = null) {
    run?.end();
    const r = { scope, messageId: null, lastIndex: -1, started: false, done: false, content: '', sources: [], end: () => {} };
    r.redraw = perFrame(() => run === r && draw(r));
    run = r;
    el.hidden = false;
    heading.textContent = opts.title(scope);
    status.textContent = 'Summarizing…';
    showError(error, null);
    stop.hidden = true;
    draw(r);
    r.end = live({
      operation: () => {
        if (r.messageId) {
          return {
            query: `subscription($id: ID!, $after: Int) { chatStream(messageId: $id, afterIndex: $after) { ${EVENT_FIELDS} } }`,
            variables: { id: r.messageId, after: r.lastIndex >= 0 ? r.lastIndex : null },
          };
        }
        if (r.started) {
          queueMicrotask(() => finish(r, null, 'FAILED', 'The connection dropped before the summary started. Try again.'));
          return null;
        }
        r.started = true;
        return {
          query: `subscription($c: ID!, $scope: SummaryScope!, $root: ID, $model: String) {
            summarizeConversation(conversationId: $c, scope: $scope, threadRootId: $root, model: $model) { ${EVENT_FIELDS} } }`,
          variables: { c: conversationId, scope, root: threadRootId, model },
        };
      },
      next: (data) => onEvent(r, data.summarizeConversation ?? data.chatStream),
      error: (err) => finish(r, null, 'FAILED', err instanceof ApiError ? plainError(err.code, err.message) : err.message),
      complete: () => finish(r, null, 'COMPLETE'),
    });
  }

  stop.addEventListener('click', async () => {
    const r = run;
    if (!r?.messageId) return;
    stop.disabled = true;
    try {
      const { stopChat } = await gql('mutation($id: ID!) { stopChat(messageId: $id) { content status } }', { id: r.messageId });
      if (stopChat.status !== 'STREAMING') finish(r, stopChat.content, stopChat.status);
    } catch (err) {
      showError(error, err);
    } finally {
      stop.disabled = false;
    }
  });

  return { start, close };
}

/** Turns the citations "[i]" in the rendered summary (outside code) into links to source i. */
function linkCitations(root, sources, goTo) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement.closest('code, a, button') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  while (walker.nextNode()) if (/\[\d+\]/.test(walker.currentNode.textContent)) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const parts = node.textContent.split(/(\[\d+\])/);
    node.replaceWith(
      ...parts.map((part) => {
        const i = /^\[(\d+)\]$/.exec(part)?.[1] - 1;
        if (!(i >= 0 && sources[i])) return part;
        return h('button', { type: 'button', class: 'link citation', 'aria-label': `Source ${i + 1}`, onclick: () => goTo(i) }, part);
      }),
    );
  }
}
