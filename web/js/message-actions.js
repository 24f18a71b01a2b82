// What can be done to a message of the open conversation (the buttons message-list.js draws): edit, delete, pin or
// unpin, reply. Each answer replaces the message in the conversation's state, which is then drawn again.
import { gql } from './api.js';
import { replyBar } from './reply-bar.js';
import { notePin, togglePin } from './pins.js';

/**
 * The actions for renderMessageList. `current()` is the open conversation's state (null when none), `fields` the
 * message fields to read back, `rerender()` draws the list again, `failed(err)` shows an error.
 */
export function messageActionsFor({ current, fields, rerender, failed }) {
  /** Stores a changed message in the conversation it came from, if that is still the open one. */
  const store = (state, m) => {
    if (current() !== state) return false;
    // A thread summary held is kept: it counts each reply from its event once, where the answer may already count a
    // reply whose event is still on its way.
    const held = state.messages.get(m.id);
    state.messages.set(m.id, held && 'threadSummary' in held ? { ...m, threadSummary: held.threadSummary } : m);
    notePin(state, m);
    return true;
  };
  return {
    /** Saves an edit; resolves true when saved. */
    async edit(m, content) {
      const state = current();
      try {
        const { editMessage } = await gql(
          `mutation($id: ID!, $content: String!) { editMessage(id: $id, content: $content) { ${fields} } }`,
          { id: m.id, content },
        );
        store(state, editMessage);
        return true;
      } catch (err) {
        failed(err);
        return false;
      }
    },
    async remove(m) {
      const state = current();
      try {
        const { deleteMessage } = await gql(`mutation($id: ID!) { deleteMessage(id: $id) { ${fields} } }`, { id: m.id });
        if (store(state, deleteMessage)) rerender();
      } catch (err) {
        failed(err);
      }
    },
    /** Pins or unpins a message for everyone in the conversation. */
    async pin(m) {
      const state = current();
      try {
        if (store(state, await togglePin(m, fields))) rerender();
      } catch (err) {
        failed(err);
      }
    },
    /** Adds (or takes back) the viewer's reaction with `emoji`. */
    async react(m, emoji, add) {
      const state = current();
      const mutation = add ? 'addReaction' : 'removeReaction';
      try {
        const data = await gql(`mutation($id: ID!, $emoji: String!) { ${mutation}(messageId: $id, emoji: $emoji) { ${fields} } }`, {
          id: m.id,
          emoji,
        });
        if (store(state, data[mutation])) rerender();
      } catch (err) {
        failed(err);
      }
    },
    /** Stops the assistant's answer `m` while it streams (any member may); its text so far stays. */
    async stop(m) {
      const state = current();
      try {
        const { stopAssistantReply } = await gql(`mutation($id: ID!) { stopAssistantReply(messageId: $id) { ${fields} } }`, { id: m.id });
        if (store(state, stopAssistantReply)) rerender();
      } catch (err) {
        failed(err);
      }
    },
    reply(m) {
      const state = current();
      if (state) replyBar.start(state, m);
    },
    refresh: rerender,
  };
}
