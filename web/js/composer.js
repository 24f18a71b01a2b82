// A message composer, the conversation's or the thread panel's: Enter sends (Shift+Enter starts a new line), "@"
// offers the members to mention (mention-picker.js), and files go with the message (uploads.js). What a message is
// sent as, and where it shows, is the owner's `send`.
import { attachMentionPicker } from './mention-picker.js';
import { attachUploads } from './uploads.js';

/**
 * Wires `form` and its `textarea`. options: { members(), myId() for the @ list; send(content, attachmentIds) resolving
 * true once sent (false when it no longer applies, e.g. the conversation changed), throwing an ApiError on failure;
 * failed(err) shows an error, failed(null) clears it }.
 */
export function attachComposer(form, textarea, { members, myId, send, failed }) {
  const uploads = attachUploads(form, { failed });
  const picker = attachMentionPicker(textarea, { members, myId });
  let sending = false; // one message at a time: a second Enter while files upload would send them twice

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = textarea.value.trim();
    if (sending || (!content && !uploads.count)) return;
    sending = true;
    failed(null);
    try {
      const attachmentIds = await uploads.ready();
      if (!(await send(content, attachmentIds))) return;
      uploads.clear();
      textarea.value = '';
    } catch (err) {
      failed(err);
    } finally {
      sending = false;
    }
  });
  textarea.addEventListener('keydown', (e) => {
    // The @ list, when open, has taken Enter already (its listener runs first and prevents the default).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.defaultPrevented) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return {
    /** Forgets the files waiting (they were for a conversation or thread that closed) and closes the @ list. */
    reset() {
      uploads.clear();
      picker.close();
    },
  };
}
