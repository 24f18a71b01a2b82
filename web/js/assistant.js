// The assistant panel: model picker, past chat sessions, and answers streamed token by token over the `chat`
// subscription, with Stop (stopChat) and resume after a dropped socket (chatStream with afterIndex). Answers show as
// markdown with their reasoning and tool calls (chat-turn.js), redrawn at most once per frame while they stream. The
// open chat's system prompt is set in assistant-prompt.js.
import { $, h, showError, time } from './dom.js';
import { gql, live } from './api.js';
import { initPrompt, showPrompt } from './assistant-prompt.js';
import { applyPart, finishTurn, newTurn, turnElement } from './chat-turn.js';
import { perFrame } from './markdown.js';

const EVENT_FIELDS = `__typename
  ... on ChatStarted { assistantMessageId session { id title systemPrompt } }
  ... on ChatToken { index delta }
  ... on ChatReasoning { index delta }
  ... on ChatToolCall { index toolCallId name input }
  ... on ChatToolResult { index toolCallId output isError }
  ... on ChatCompleted { answer { id content status } }
  ... on ChatStopped { answer { id content status } }
  ... on ChatError { code message answer { content } }`;

let sessionId = null;
let turns = []; // { role, content, status, error }
let run = null; // the answer streaming now: { turn, messageId, lastIndex, stop }
let active = false;

export function startAssistant() {
  active = true;
  sessionId = null;
  turns = [];
  render();
  showPrompt(null);
  void loadModels();
  void loadSessions();
}

export function stopAssistant() {
  active = false;
  run?.stop();
  run = null;
  turns = [];
  sessionId = null;
  $('chat-sessions').replaceChildren();
  $('chat-transcript').replaceChildren();
  $('model').replaceChildren();
  showPrompt(null);
  showError($('assistant-error'), null);
  setStreaming(false);
}

async function loadModels() {
  try {
    const { chatModels } = await gql('{ chatModels { id label default offline } }');
    $('model').replaceChildren(
      // Short names in the picker ("Parley Echo (offline)"); the full label is the option's title.
      ...chatModels.map((m) =>
        h(
          'option',
          { value: m.id, selected: m.default, title: m.label },
          `${m.label.replace(/\s*\(.*$/, '')}${m.offline ? ' (offline)' : ''}`,
        ),
      ),
    );
  } catch (err) {
    showError($('assistant-error'), err);
  }
}

async function loadSessions() {
  try {
    const { chatSessions } = await gql('{ chatSessions(first: 20) { edges { node { id title model updatedAt } } } }');
    if (!active) return;
    $('chat-sessions').replaceChildren(
      ...chatSessions.edges.map(({ node: s }) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: `link session${s.id === sessionId ? ' current' : ''}`,
              'aria-current': s.id === sessionId ? 'true' : null,
              onclick: () => openSession(s.id),
            },
            s.title,
            h('span', { class: 'muted' }, ` · ${time(s.updatedAt)}`),
          ),
        ),
      ),
    );
    if (!chatSessions.edges.length) $('chat-sessions').append(h('li', { class: 'hint' }, 'No chats yet.'));
  } catch (err) {
    showError($('assistant-error'), err);
  }
}

async function openSession(id) {
  if (run) return;
  showError($('assistant-error'), null);
  try {
    const { chatSession } = await gql(
      'query($id: ID!) { chatSession(id: $id) { id model systemPrompt messages(last: 50) { edges { node { role content status errorCode } } } } }',
      { id },
    );
    sessionId = chatSession.id;
    turns = chatSession.messages.edges
      .map((e) => e.node)
      .filter((m) => m.role !== 'SYSTEM')
      .map((m) => newTurn(m.role, m.content, m.status, m.errorCode));
    if ([...$('model').options].some((o) => o.value === chatSession.model)) $('model').value = chatSession.model;
    showPrompt(chatSession);
    render();
    void loadSessions();
  } catch (err) {
    showError($('assistant-error'), err);
  }
}

function render(turn) {
  const list = $('chat-transcript');
  if (turn) turnElement(turn);
  else list.replaceChildren(...turns.map(turnElement));
  list.scrollTop = list.scrollHeight;
}

function setStreaming(on) {
  $('stop').hidden = !on;
  $('ask-button').disabled = on;
}

function ask(message) {
  const text = message.trim();
  if (!text || run) return;
  showError($('assistant-error'), null);
  const turn = newTurn('ASSISTANT', '', 'STREAMING');
  turns.push(newTurn('USER', text, 'COMPLETE'), turn);
  render();
  setStreaming(true);
  const current = { turn, messageId: null, lastIndex: -1, started: false, stop: () => {}, finish: () => {} };
  current.redraw = perFrame(() => run === current && turn.status === 'STREAMING' && render(turn));
  run = current;
  const input = { message: text, model: $('model').value || undefined, ...(sessionId ? { sessionId } : {}) };
  const finish = () => {
    if (run !== current) return;
    current.stop();
    run = null;
    setStreaming(false);
    void loadSessions();
  };
  current.finish = finish;
  current.stop = live({
    operation: () => {
      if (current.messageId) {
        // The socket dropped mid-answer: continue after the last token we have.
        return {
          query: `subscription($id: ID!, $after: Int) { chatStream(messageId: $id, afterIndex: $after) { ${EVENT_FIELDS} } }`,
          variables: { id: current.messageId, after: current.lastIndex >= 0 ? current.lastIndex : null },
        };
      }
      if (current.started) {
        // Lost before the answer started: sending again could ask twice, so say so instead.
        finishTurn(turn, turn.content, 'FAILED', 'the connection dropped before the answer started; ask again');
        render();
        queueMicrotask(finish);
        return null;
      }
      current.started = true;
      return { query: `subscription($input: ChatInput!) { chat(input: $input) { ${EVENT_FIELDS} } }`, variables: { input } };
    },
    next: (data) => onChatEvent(current, data.chat ?? data.chatStream, finish),
    error: (err) => {
      finishTurn(turn, turn.content, 'FAILED', err.message);
      render();
      finish();
    },
    complete: finish,
  });
}

function onChatEvent(current, e, finish) {
  const { turn } = current;
  switch (e.__typename) {
    case 'ChatStarted':
      current.messageId = e.assistantMessageId;
      if (e.session && e.session.id !== sessionId) {
        sessionId = e.session.id;
        showPrompt(e.session);
      }
      return;
    case 'ChatToken':
    case 'ChatReasoning':
    case 'ChatToolCall':
    case 'ChatToolResult':
      if (e.index <= current.lastIndex) return;
      current.lastIndex = e.index;
      applyPart(turn, e);
      // Tokens come faster than frames: the growing answer is drawn once per frame, not once per token.
      return current.redraw();
    case 'ChatCompleted':
    case 'ChatStopped':
      finishTurn(turn, e.answer.content, e.answer.status);
      break;
    case 'ChatError':
      finishTurn(turn, e.answer?.content ?? turn.content, 'FAILED', e.message);
      break;
    default:
      return; // an event this client does not show
  }
  render(turn);
  if (turn.status !== 'STREAMING') {
    // The transcript is not a live region (tokens would be read one by one): the finished answer is announced once.
    $('assistant-live').textContent = turn.status === 'COMPLETE' ? `Answer: ${turn.content}` : `Answer ${turn.status.toLowerCase()}.`;
    finish();
  }
}

async function stop() {
  const current = run;
  if (!current?.messageId) return;
  $('stop').disabled = true;
  try {
    const { stopChat } = await gql('mutation($id: ID!) { stopChat(messageId: $id) { content status } }', { id: current.messageId });
    if (run === current && stopChat.status !== 'STREAMING')
      onChatEvent(current, { __typename: 'ChatStopped', answer: stopChat }, current.finish);
  } catch (err) {
    showError($('assistant-error'), err);
  } finally {
    $('stop').disabled = false;
  }
}

$('ask').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('ask-text').value;
  if (!text.trim() || run) return;
  $('ask-text').value = '';
  ask(text);
});
$('ask-text').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('ask').requestSubmit();
  }
});
$('stop').addEventListener('click', () => void stop());
$('new-chat').addEventListener('click', () => {
  if (run) return;
  sessionId = null;
  turns = [];
  render();
  showPrompt(null);
  void loadSessions();
  $('ask-text').focus();
});
initPrompt({
  current: () => sessionId,
  created: (session) => {
    if (run) return;
    sessionId = session.id;
    turns = [];
    render();
    void loadSessions();
  },
});
