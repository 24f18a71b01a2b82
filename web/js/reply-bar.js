// The bar above the composer while a reply is being written: which message the next one sent quotes (kept in the
// open conversation's state as `replyTo`), and a way to cancel it.
import { $ } from './dom.js';

export const replyBar = {
  /** The next message sent in `state`'s conversation quotes `m`. */
  start(state, m) {
    state.replyTo = m;
    $('reply-to-text').textContent = `Replying to ${m.senderName}: ${m.content}`;
    $('reply-bar').hidden = false;
    $('composer-text').focus();
  },
  /** No quote (after sending, on Cancel, or when the conversation closes; `state` may be null then). */
  cancel(state) {
    if (state) state.replyTo = null;
    $('reply-bar').hidden = true;
  },
};
