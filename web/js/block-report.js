// Blocking and reporting: a small menu on a DIRECT conversation's head (Block or Unblock the other person, Report
// them), Report on each message of others, one dialog for a report's reason and note, and messages from blocked
// people collapsed until shown. Who the viewer blocks is read once per sign-in and kept as they change it.
import { $, h, showError } from './dom.js';
import { gql } from './api.js';

const BLOCKED_FIELDS = 'id';
export const REASONS = {
  SPAM: 'Spam',
  HARASSMENT: 'Harassment',
  HATE: 'Hate',
  SEXUAL: 'Sexual content',
  VIOLENCE: 'Violence',
  SELF_HARM: 'Self-harm',
  ILLEGAL: 'Illegal',
  OTHER: 'Other',
};

let blocked = new Set();
/** Messages from blocked people the viewer chose to show. */
const revealed = new Set();
let redraw = () => {};

/** Reads who the viewer blocks; `rerender()` draws the open conversation again (a block or a Show changed it). */
export async function initBlockReport(rerender) {
  redraw = rerender;
  blocked = new Set();
  revealed.clear();
  try {
    const { blockedUsers } = await gql(`{ blockedUsers { ${BLOCKED_FIELDS} } }`);
    blocked = new Set(blockedUsers.map((u) => u.id));
    redraw();
  } catch (err) {
    showError($('conversation-error'), err);
  }
}

/** Whether message `m` is drawn collapsed (its sender is blocked and the viewer has not asked to see it). */
export const collapsed = (m) => !!m.senderBlockedByViewer && !revealed.has(m.id);

/** The collapsed form of a blocked person's message, with Show. */
export function blockedStub(m) {
  return h(
    'p',
    { class: 'blocked-message' },
    'Message from a blocked user — ',
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          revealed.add(m.id);
          redraw();
        },
      },
      'Show',
    ),
  );
}

/** Report button of a message of someone else. */
export function reportButton(m, short) {
  return h(
    'button',
    {
      type: 'button',
      class: 'link',
      'aria-label': `Report message: ${short}`,
      onclick: () => openReport({ messageId: m.id }, `a message from ${m.senderName}`),
    },
    'Report',
  );
}

/** The safety menu on the head of conversation `c`: only a DIRECT conversation's other person can be blocked here. */
export function renderSafetyMenu(c, myId) {
  let menu = $('conversation-safety');
  if (!menu) {
    menu = h('details', { id: 'conversation-safety', class: 'safety-menu' });
    $('group-open').after(menu);
  }
  const other = c?.kind === 'DIRECT' ? c.members.find((m) => m.user.id !== myId)?.user : null;
  menu.hidden = !other;
  if (!other) return menu.replaceChildren();
  const isBlocked = blocked.has(other.id);
  menu.open = false;
  menu.replaceChildren(
    h('summary', { 'aria-label': `Safety: ${other.name}` }, '⋯'),
    h(
      'div',
      { class: 'safety-items' },
      h(
        'button',
        { type: 'button', class: 'link', onclick: () => void setBlocked(other, !isBlocked) },
        isBlocked ? `Unblock ${other.name}` : `Block ${other.name}`,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            menu.open = false;
            openReport({ userId: other.id }, other.name);
          },
        },
        `Report ${other.name}`,
      ),
    ),
  );
}

async function setBlocked(user, block) {
  showError($('conversation-error'), null);
  try {
    await gql(`mutation($id: ID!) { ${block ? 'blockUser' : 'unblockUser'}(userId: $id) }`, { id: user.id });
    if (block) blocked.add(user.id);
    else blocked.delete(user.id);
    $('conversation-notice').textContent = block ? `You blocked ${user.name}.` : `You unblocked ${user.name}.`;
    redraw();
  } catch (err) {
    showError($('conversation-error'), err);
  }
}

// ---- the report dialog -------------------------------------------------------------------------------------------

let target = null;

function dialog() {
  let d = $('report-dialog');
  if (d) return d;
  const reason = h(
    'select',
    { id: 'report-reason', required: true },
    ...Object.entries(REASONS).map(([value, label]) => h('option', { value }, label)),
  );
  d = h(
    'dialog',
    { id: 'report-dialog', class: 'report-dialog', 'aria-labelledby': 'report-heading' },
    h(
      'form',
      { method: 'dialog', onsubmit: (e) => void send(e) },
      h('h3', { id: 'report-heading' }, 'Report'),
      h('label', { for: 'report-reason' }, 'Reason'),
      reason,
      h('label', { for: 'report-note' }, 'Note for the moderators (optional)'),
      h('textarea', { id: 'report-note', maxlength: '1000', rows: '3' }),
      h('p', { id: 'report-error', class: 'error', role: 'alert' }),
      h(
        'div',
        { class: 'report-buttons' },
        h('button', { type: 'submit' }, 'Send report'),
        h('button', { type: 'button', class: 'link', onclick: () => d.close() }, 'Cancel'),
      ),
    ),
  );
  document.body.append(d);
  return d;
}

/** Opens the dialog for reporting `what` ({ messageId } or { userId }), described as `label`. */
function openReport(what, label) {
  target = what;
  const d = dialog();
  $('report-heading').textContent = `Report ${label}`;
  $('report-reason').value = 'SPAM';
  $('report-note').value = '';
  showError($('report-error'), null);
  d.showModal();
}

async function send(e) {
  e.preventDefault();
  const note = $('report-note').value.trim() || null;
  const reason = $('report-reason').value;
  try {
    if (target.messageId) {
      await gql('mutation($id: ID!, $r: ReportReason!, $n: String) { reportMessage(messageId: $id, reason: $r, note: $n) { id } }', {
        id: target.messageId,
        r: reason,
        n: note,
      });
    } else {
      await gql('mutation($id: ID!, $r: ReportReason!, $n: String) { reportUser(userId: $id, reason: $r, note: $n) { id } }', {
        id: target.userId,
        r: reason,
        n: note,
      });
    }
    $('report-dialog').close();
    $('conversation-notice').textContent = 'Report sent: the moderators will look at it.';
  } catch (err) {
    showError($('report-error'), err);
  }
}
