// Typing indicators of the open conversation, both ways: who else is typing (from the `typing` subscription thread.js
// keeps, shown until they stop, send or go quiet), and telling the others while the viewer types.
import { $ } from './dom.js';
import { gql } from './api.js';

const TYPING_SENT_EVERY_MS = 2000; // the server drops repeats within 2 s anyway
const TYPING_SHOWN_MS = 7000; // the server repeats `true` while typing goes on and expires it after 6 s

const setTyping = (id, isTyping) =>
  void gql(`mutation($id: ID!) { setTyping(conversationId: $id, isTyping: ${isTyping}) }`, { id }).catch(() => {});

/** State kept in the open conversation's state object: `typing` (who, with their expiry timers) and `typingSent`. */
export const typingState = () => ({ typing: new Map(), typingSent: 0 });

/** A typing event of someone in `state`'s conversation (the open one). */
export function onTyping(state, ev) {
  if (ev.isTyping) {
    clearTimeout(state.typing.get(ev.user.id)?.timer);
    state.typing.set(ev.user.id, { name: ev.user.name, timer: setTimeout(() => clearTyping(state, ev.user.id), TYPING_SHOWN_MS) });
  } else clearTyping(state, ev.user.id);
  renderTyping(state);
}

/** `userId` no longer types in `state`'s conversation (they stopped, or their message arrived). */
export function clearTyping(state, userId) {
  const entry = state.typing.get(userId);
  if (!entry) return;
  clearTimeout(entry.timer);
  state.typing.delete(userId);
  renderTyping(state);
}

function renderTyping(state) {
  const names = [...state.typing.values()].map((x) => x.name);
  $('typing').textContent = names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
}

/** The viewer's composer changed: say they type (at most every 2 s), or that they stopped once it is empty. */
export function typed(state, hasText) {
  const now = Date.now();
  if (hasText && now - state.typingSent > TYPING_SENT_EVERY_MS) {
    state.typingSent = now;
    setTyping(state.id, true);
  } else if (!hasText && state.typingSent) {
    state.typingSent = 0;
    setTyping(state.id, false);
  }
}

/** The conversation closes: forget who types, and say the viewer stopped if they were typing. */
export function stopTyping(state) {
  for (const entry of state.typing.values()) clearTimeout(entry.timer);
  if (state.typingSent) setTyping(state.id, false);
  $('typing').textContent = '';
}
