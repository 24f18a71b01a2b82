// The assistant's System prompt control: the current chat session's own instructions to the model
// (ChatSession.systemPrompt), saved with updateChatSession, or with createChatSession when no chat is open yet (the
// new session becomes the current one). Saving an empty box sends "", which puts the server's default back; the box
// then shows "Server default" as its placeholder. The saved value is kept on the textarea (data-saved), so a prompt
// being typed is told apart from the one in force.
import { $, showError } from './dom.js';
import { gql } from './api.js';

const UPDATE = 'mutation($id: ID!, $p: String!) { updateChatSession(id: $id, systemPrompt: $p) { id title systemPrompt } }';
const CREATE = 'mutation($p: String!, $m: String) { createChatSession(systemPrompt: $p, model: $m) { id title systemPrompt } }';

/** Shows what `session` ({ systemPrompt }, or null when no chat is open) has in force, replacing anything typed. */
export function showPrompt(session) {
  const saved = session?.systemPrompt ?? '';
  const box = $('system-prompt-text');
  box.value = saved;
  box.dataset.saved = saved;
  $('system-prompt-state').textContent = saved ? ': this chat’s own' : ': server default';
  $('system-prompt-status').textContent = '';
  showError($('system-prompt-error'), null);
}

/**
 * Wires the form. `current()` is the open session's id (null for a chat not started); `created(session)` makes a
 * session created here the current one.
 */
export function initPrompt({ current, created }) {
  const box = $('system-prompt-text');
  box.addEventListener('input', () => {
    $('system-prompt-status').textContent = box.value === box.dataset.saved ? '' : 'Not saved yet.';
  });
  $('system-prompt-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = e.currentTarget.querySelector('button[type=submit]');
    const prompt = box.value.trim();
    button.disabled = true;
    showError($('system-prompt-error'), null);
    try {
      const id = current();
      const session = id
        ? (await gql(UPDATE, { id, p: prompt })).updateChatSession
        : (await gql(CREATE, { p: prompt, m: $('model').value || null })).createChatSession;
      // The answer is shown only if the same chat is still open (another may have been opened meanwhile).
      if (current() !== id) return;
      if (!id) created(session);
      showPrompt(session);
      $('system-prompt-status').textContent = prompt ? 'System prompt saved.' : 'System prompt reset to the server default.';
    } catch (err) {
      showError($('system-prompt-error'), err);
    } finally {
      button.disabled = false;
    }
  });
}
