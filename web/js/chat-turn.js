// One turn of the assistant chat: the question as plain text, or the answer as its parts in the order they came
// (markdown text, a folded "Thinking" block for reasoning, a folded "Used tool" block per tool call with its input and
// output). Each part keeps its element, so a token redraws one part and a block the reader opened stays open.
import { h } from './dom.js';
import { showMarkdown } from './markdown.js';

const STATUS_TEXT = { STREAMING: 'Answering…', COMPLETE: '', STOPPED: 'Stopped', FAILED: 'Failed' };

/** A turn: { role, content, status, error }; an answer's streamed parts are added by applyPart. */
export const newTurn = (role, content, status, error = null) => ({ role, content, status, error, parts: [] });

/** Adds a part event (ChatToken, ChatReasoning, ChatToolCall, ChatToolResult) to the answer `turn`. */
export function applyPart(turn, e) {
  const last = turn.parts.at(-1);
  switch (e.__typename) {
    case 'ChatToken':
    case 'ChatReasoning': {
      const kind = e.__typename === 'ChatToken' ? 'text' : 'reasoning';
      if (last?.kind === kind) last.text += e.delta;
      else turn.parts.push({ kind, text: e.delta });
      (last?.kind === kind ? last : turn.parts.at(-1)).dirty = true;
      if (kind === 'text') turn.content += e.delta;
      return;
    }
    case 'ChatToolCall':
      turn.parts.push({ kind: 'tool', id: e.toolCallId, name: e.name, input: e.input, output: undefined, dirty: true });
      return;
    case 'ChatToolResult': {
      const call = turn.parts.find((p) => p.kind === 'tool' && p.id === e.toolCallId);
      if (call) Object.assign(call, { output: e.output, isError: e.isError, done: true, dirty: true });
      return;
    }
  }
}

/** The answer ended with `content`: what was streamed stays, unless it was only text (then the final text is it). */
export function finishTurn(turn, content, status, error = null) {
  if (turn.parts.every((p) => p.kind === 'text')) {
    turn.parts = [];
    turn.content = content ?? turn.content;
  }
  Object.assign(turn, { status, error });
  for (const p of turn.parts) p.dirty = true; // a part still marked running is drawn as ended
}

/** Builds or refreshes a turn's element (kept on the turn, so an update redraws what changed only). */
export function turnElement(turn) {
  const el =
    turn.el ?? (turn.el = h('li', {}, h('strong', { class: 'sender' }), h('div', { class: 'parts' }), h('p', { class: 'status' })));
  const [sender, partsEl, statusEl] = el.children;
  el.className = `turn ${turn.role.toLowerCase()}`;
  el.dataset.status = turn.status ?? '';
  if (turn.status === 'STREAMING') el.setAttribute('aria-busy', 'true');
  else el.removeAttribute('aria-busy');
  sender.textContent = turn.role === 'USER' ? 'You' : 'Assistant';
  if (turn.role === 'USER') {
    if (!partsEl.firstChild) partsEl.append(h('p', { class: 'content' }, turn.content));
  } else if (!turn.parts.length) {
    // Text alone (a plain answer, or one read back from history): one markdown block.
    let content = partsEl.firstChild;
    if (!content || content.dataset.part || partsEl.children.length > 1)
      partsEl.replaceChildren((content = h('div', { class: 'content' })));
    if (content.shown !== turn.content) {
      content.shown = turn.content;
      showMarkdown(content, turn.content);
    }
  } else {
    if (partsEl.firstChild && !partsEl.firstChild.dataset.part) partsEl.replaceChildren();
    turn.parts.forEach((part, i) => {
      if (!part.el) partsEl.append((part.el = partElement(part, i)));
      if (part.dirty) drawPart(part, turn.status === 'STREAMING');
      part.dirty = false;
    });
  }
  const status = [STATUS_TEXT[turn.status], turn.error].filter(Boolean).join(': ');
  statusEl.textContent = status;
  statusEl.hidden = !status;
  return el;
}

function partElement(part, i) {
  if (part.kind === 'text') return h('div', { class: 'content', dataset: { part: i } });
  if (part.kind === 'reasoning') {
    return h('details', { class: 'reasoning', dataset: { part: i } }, h('summary', {}), h('div', { class: 'reasoning-text' }));
  }
  return h('details', { class: 'tool-use', dataset: { part: i } }, h('summary', {}), h('div', { class: 'tool-io' }));
}

function drawPart(part, streaming) {
  const el = part.el;
  if (part.kind === 'text') return showMarkdown(el, part.text);
  if (part.kind === 'reasoning') {
    el.querySelector('summary').textContent = streaming ? 'Thinking…' : 'Thinking';
    el.querySelector('.reasoning-text').textContent = part.text;
    return;
  }
  el.classList.toggle('error', !!part.isError);
  const state = part.done ? (part.isError ? ' (failed)' : '') : streaming ? ' (running…)' : ' (no result)';
  el.querySelector('summary').textContent = `Used tool ${part.name}${state}`;
  el.querySelector('.tool-io').replaceChildren(
    h('p', { class: 'tool-label' }, 'Input'),
    h('pre', {}, json(part.input)),
    ...(part.done ? [h('p', { class: 'tool-label' }, part.isError ? 'Error' : 'Output'), h('pre', {}, json(part.output))] : []),
  );
}

const json = (value) => (value === undefined ? '' : JSON.stringify(value, null, 2));
