// The viewer's own settings of the open conversation (pin to top, mute, archive), kept the same on every device of
// theirs: a change made here or elsewhere arrives through conversationSettingsChanged.
import { $, showError } from './dom.js';
import { gql, live } from './api.js';
import { openConversationId } from './thread.js';

const SETTINGS = [
  ['pinned', 'Pin to top', 'Unpin from top'],
  ['muted', 'Mute', 'Unmute'],
  ['archived', 'Archive', 'Unarchive'],
];
const SETTINGS_FIELDS = 'id viewerSettings { muted archived pinned }';

/** { conversation(id): the listed conversation or undefined, changed(): redraw the list } */
let hooks = null;

export function initSettings(settingsHooks) {
  hooks = settingsHooks;
}

/** Shows the open conversation's settings (hidden when none is open). */
export function renderSettings(c) {
  $('conversation-settings').hidden = !c;
  if (!c) return;
  for (const [key, off, on] of SETTINGS) {
    const button = $(`setting-${key}`);
    const value = !!c.viewerSettings?.[key];
    button.textContent = value ? on : off;
    button.setAttribute('aria-pressed', String(value));
  }
}

/** Follows the viewer's settings changes from every device; returns the stop function. */
export function followSettings() {
  return live({
    operation: () => ({ query: `subscription { conversationSettingsChanged { ${SETTINGS_FIELDS} } }` }),
    // null: a conversation left since; the inbox stream takes it out of the list.
    next: ({ conversationSettingsChanged: updated }) => updated && apply(updated),
  });
}

function apply(updated) {
  const known = hooks.conversation(updated.id);
  if (known) known.viewerSettings = updated.viewerSettings;
  hooks.changed();
}

async function toggleSetting(key) {
  const id = openConversationId();
  const c = hooks.conversation(id);
  if (!c) return;
  try {
    const { updateConversationSettings: updated } = await gql(
      `mutation($id: ID!, $muted: Boolean, $archived: Boolean, $pinned: Boolean) {
        updateConversationSettings(conversationId: $id, muted: $muted, archived: $archived, pinned: $pinned) { ${SETTINGS_FIELDS} } }`,
      { id, [key]: !c.viewerSettings?.[key] },
    );
    apply(updated);
  } catch (err) {
    showError($('inbox-error'), err);
  }
}

for (const [key] of SETTINGS) $(`setting-${key}`).addEventListener('click', () => void toggleSetting(key));
