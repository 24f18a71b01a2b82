// @mentions in message text: the members a text names, and the text drawn with those names marked. Message.mentions
// says whom a message mentions; a live event does not select it (the per-event cost budget), so for those the same
// rule the server applies at send is applied here to the conversation's members (src/messaging/mentions.ts).
import { h } from './dom.js';

/** Names a message may mention at most; later ones are plain text. */
const MAX_MENTIONS = 50;
// A username (3 to 30 of a-z, 0-9, "_", ".") after an "@" that does not continue a word or an email address.
const MENTION = /(?<![\p{L}\p{N}_.@])@([a-z0-9_.]{3,30})(?![a-z0-9_])/giu;

/** Lowercase names a mention token may stand for: "bob." at the end of a sentence is "bob." or "bob". */
function candidates(token) {
  const name = token.toLowerCase();
  const trimmed = name.replace(/\.+$/, '');
  return trimmed !== name && trimmed.length >= 3 ? [name, trimmed] : [name];
}

/**
 * The members `content` mentions, as Message.mentions would list them ({ id, username }, in order of mention): names
 * of members other than the sender.
 */
export function mentionedMembers(content, members, senderId) {
  const byName = new Map();
  for (const { user } of members ?? []) if (user.username && user.id !== senderId) byName.set(user.username.toLowerCase(), user);
  const names = new Set();
  for (const match of (content ?? '').matchAll(MENTION)) {
    for (const name of candidates(match[1])) names.add(name);
    if (names.size >= MAX_MENTIONS) break;
  }
  const found = new Map();
  for (const name of [...names].slice(0, MAX_MENTIONS)) {
    const user = byName.get(name);
    if (user && !found.has(user.id)) found.set(user.id, { id: user.id, username: user.username });
  }
  return [...found.values()];
}

/**
 * The message text as nodes: each `@username` of someone in `mentions` is a marked span (more strongly when it names
 * the viewer), the rest plain text.
 */
export function renderContent(content, mentions, myId) {
  const byName = new Map((mentions ?? []).filter((u) => u.username).map((u) => [u.username.toLowerCase(), u]));
  if (byName.size === 0) return [content];
  const nodes = [];
  let from = 0;
  for (const match of content.matchAll(MENTION)) {
    const name = candidates(match[1]).find((n) => byName.has(n));
    if (!name) continue;
    const user = byName.get(name);
    const end = match.index + 1 + name.length; // a trailing dot that is not part of the name stays text
    nodes.push(content.slice(from, match.index));
    nodes.push(
      h(
        'span',
        { class: `mention${user.id === myId ? ' me' : ''}`, title: user.id === myId ? 'Mentions you' : null },
        content.slice(match.index, end),
      ),
    );
    from = end;
  }
  nodes.push(content.slice(from));
  return nodes.filter((n) => n !== '');
}
