// One message of the open conversation's main history read again, with a selection of its own (a thread root with a
// page of its replies). The API reads messages by pages only, so it is read as the one-message page after the
// message before it: that one's cursor comes from the pages the conversation loaded (`state.cursors`), or, for a
// message that came live (events carry no cursor), from the newest pages, read for their cursors alone.
import { gql } from './api.js';

const CURSOR_PAGE = 100;
const MAX_CURSOR_PAGES = 10;
const GONE = 'This message is no longer in the conversation.';

async function cursorPage(state, last, before) {
  const { messages } = await gql(
    `query($id: ID!, $last: Int!, $before: String) { messages(conversationId: $id, last: $last, before: $before) {
      edges { cursor node { id } } pageInfo { hasPreviousPage startCursor } } }`,
    { id: state.id, last, before },
  );
  for (const e of messages.edges) state.cursors.set(e.node.id, e.cursor);
  return messages;
}

/** The cursor of the main-history message right before `messageId`, or null when that is the conversation's first. */
async function cursorBefore(state, messageId) {
  const held = [...state.messages.values()].sort((a, b) => a.sequence - b.sequence);
  const i = held.findIndex((m) => m.id === messageId);
  if (i > 0 && state.cursors.has(held[i - 1].id)) return state.cursors.get(held[i - 1].id);
  if (i === 0 && !state.hasOlder) return null;
  const own = state.cursors.get(messageId);
  if (own) return (await cursorPage(state, 1, own)).edges[0]?.cursor ?? null;
  let before = null;
  let foundFirst = false; // the message opened the last page read: the one before it ends the next page
  for (let n = 0; n < MAX_CURSOR_PAGES; n++) {
    const page = await cursorPage(state, CURSOR_PAGE, before);
    if (foundFirst) return page.edges.at(-1)?.cursor ?? null;
    const j = page.edges.findIndex((e) => e.node.id === messageId);
    if (j > 0) return page.edges[j - 1].cursor;
    if (!page.pageInfo.hasPreviousPage) {
      if (j === 0) return null;
      break;
    }
    foundFirst = j === 0;
    before = page.pageInfo.startCursor;
  }
  throw new Error(GONE);
}

/**
 * Reads the main-history message `messageId` of `state`'s conversation with `selection`, whose own variables are
 * declared by `variableDefs` (", $last: Int!") and given in `variables`. Rejects when the message is gone.
 */
export async function readHistoryMessage(state, messageId, selection, variableDefs = '', variables = {}) {
  const after = await cursorBefore(state, messageId);
  const { messages } = await gql(
    `query($id: ID!, $after: String${variableDefs}) { messages(conversationId: $id, first: 1, after: $after) {
      edges { cursor node { ${selection} } } } }`,
    { id: state.id, after, ...variables },
  );
  const edge = messages.edges[0];
  if (edge?.node.id !== messageId) throw new Error(GONE);
  state.cursors.set(messageId, edge.cursor);
  return edge.node;
}
