// The open conversation's title and the presence of its other members, under the title; a group's own panel and
// what the viewer may do in it (group-panel.js).
import { $, h, presenceDot, presenceLabel } from './dom.js';
import { renderGroup } from './group-panel.js';
import { renderSafetyMenu } from './block-report.js';

/** Draws the head of conversation `c` (its title and members) as the viewer `myId` sees it; null for none open. */
export function renderHead(c, myId) {
  $('conversation-title').textContent = c ? c.title || 'Conversation' : 'No conversation open';
  const others = c ? c.members.filter((m) => m.user.id !== myId) : [];
  $('conversation-presence').replaceChildren(
    ...others
      .slice(0, 5)
      .map((m) =>
        h(
          'span',
          { class: 'who' },
          presenceDot(m.user.presence?.status),
          ` ${m.user.name}: ${presenceLabel(m.user.presence?.status ?? 'OFFLINE')}`,
        ),
      ),
  );
  renderGroup(c, myId);
  renderSafetyMenu(c, myId);
}
