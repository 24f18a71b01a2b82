// Moving the viewer's read pointer in the open conversation (markConversationRead), a moment after what they saw
// changed. A conversation opened with a backlog worth summarizing (SUMMARIZE_FROM unread messages or more) is not
// marked read on opening: "Summarize unread" reads the messages after the read pointer, so the pointer waits until the
// viewer acts in the conversation (scrolls, clicks or types in it, writes), starts that summary, or leaves.
import { $ } from './dom.js';
import { gql } from './api.js';

/** Unread messages from which a conversation offers Summarize unread (fewer are read faster than summarized). */
export const SUMMARIZE_FROM = 3;

/**
 * current(): the open conversation's id or null; marked(id): the server moved the pointer; changed(): a hold began or
 * ended.
 */
export function readMarker({ current, marked, changed }) {
  let timer;
  let held = null;
  const send = async (id) => {
    try {
      await gql('mutation($id: ID!) { markConversationRead(conversationId: $id) { id unreadCount } }', { id });
      marked(id);
    } catch {
      // A receipt is not worth an error message.
    }
  };
  const marker = {
    /** Marks the open conversation read shortly, unless it is held. */
    mark() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const id = current();
        if (id && id !== held?.id && document.visibilityState === 'visible') void send(id);
      }, 200);
    },
    /** Keeps conversation `id`, opened with `count` unread messages, unread until release() or leave(). */
    hold(id, count) {
      held = { id, count };
      changed();
    },
    /** { id, count } of the conversation held unread, or null. */
    held: () => held,
    release() {
      if (held === null) return;
      held = null;
      changed();
      marker.mark();
    },
    /** The viewer leaves conversation `id`: held unread, it is read now (they had it open). */
    leave(id) {
      if (held?.id !== id) return;
      held = null;
      changed();
      void send(id);
    },
  };
  // Acting in the conversation means reading it. Programmatic scrolling fires no wheel, touch or key events.
  for (const type of ['wheel', 'touchstart', 'keydown', 'pointerdown']) {
    $('message-scroller').addEventListener(type, () => marker.release(), { passive: true });
  }
  $('composer-text').addEventListener('focus', () => marker.release());
  return marker;
}
