// @mentions in message text: which usernames a message names. They are resolved to members by the statement that
// stores the message (parley_append_message) or its edit (db/sql/mentions.ts), so a name that is not a member's,
// or is the sender's own, mentions nobody.

/** Usernames a message may name at most; later ones are plain text. */
export const MAX_MENTIONS = 50;

// A username as accounts/credentials.ts allows it (3 to 30 of a-z, 0-9, "_", "."), after an "@" that does not
// continue a word or an email address ("bob@example.com" mentions nobody).
const MENTION = /(?<![\p{L}\p{N}_.@])@([a-z0-9_.]{3,30})(?![a-z0-9_])/giu;

/**
 * The usernames `content` mentions, lowercase, each once, in order of first mention. A name that ends a sentence
 * ("thanks @bob.") is read both with and without its trailing dots, since usernames may contain dots.
 */
export function mentionedUsernames(content: string): string[] {
  const names = new Set<string>();
  for (const match of content.matchAll(MENTION)) {
    const name = match[1].toLowerCase();
    names.add(name);
    const trimmed = name.replace(/\.+$/, '');
    if (trimmed.length >= 3) names.add(trimmed);
    if (names.size >= MAX_MENTIONS) break;
  }
  return [...names].slice(0, MAX_MENTIONS);
}
