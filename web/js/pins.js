// Pinned messages of the open conversation: the bar under its title (the most recently pinned first), kept from
// `Conversation.pinnedMessages` when it opens and from MESSAGE_PINNED / MESSAGE_UNPINNED events after, and the Pin /
// Unpin action on a message.
import { $, h } from './dom.js';
import { gql } from './api.js';

export const PINNED_FIELDS = 'id content senderName pinnedAt';

/** `state.pinned`: pinned messages by id, from the conversation's pinnedMessages. */
export function loadPins(state, pinnedMessages) {
  state.pinned = new Map(pinnedMessages.map((m) => [m.id, m]));
  renderPins(state);
}

/** A message changed (an event, or an answer to an action): keep the bar in step with its pinnedAt. */
export function notePin(state, m) {
  if (m.pinnedAt && !m.deletedAt) state.pinned.set(m.id, m);
  else if (!state.pinned.delete(m.id)) return;
  renderPins(state);
}

export function renderPins(state) {
  const bar = $('pinned');
  const pins = state ? [...state.pinned.values()].sort((a, b) => (a.pinnedAt < b.pinnedAt ? 1 : -1)) : [];
  bar.hidden = pins.length === 0;
  bar.replaceChildren(
    h('strong', {}, `Pinned (${pins.length})`),
    ...pins.map((m) => h('span', { class: 'pin' }, h('b', {}, m.senderName), ' ', m.content)),
  );
}

/** Pins or unpins `m` for everyone; resolves with the message as it is now (its `fields`). */
export async function togglePin(m, fields) {
  const mutation = m.pinnedAt ? 'unpinMessage' : 'pinMessage';
  const data = await gql(`mutation($id: ID!) { ${mutation}(messageId: $id) { ${fields} } }`, { id: m.id });
  return data[mutation];
}
