// The web client reads whom a live message mentions from its text (events do not select Message.mentions, see
// web/js/mentions.js): it must read exactly the usernames the server resolves (src/messaging/mentions.ts).
import { describe, expect, it } from 'vitest';
import { mentionedUsernames } from '../src/messaging/mentions.ts';

type Member = { user: { id: string; name: string; username: string | null } };
type Web = { mentionedMembers(content: string, members: Member[], senderId: string): { id: string; username: string }[] };

// Loaded by URL: a browser module, not part of the server's TypeScript.
const web = (await import(new URL('../web/js/mentions.js', import.meta.url).href)) as Web;

const members: Member[] = [
  ...['bob', 'bob.smith', 'ann_lee', 'zoe.', 'sam'].map((username, i) => ({ user: { id: `u${i}`, name: `User ${i}`, username } })),
  { user: { id: 'x', name: 'No Handle', username: null } },
];

/** What the server stores: the usernames it reads, resolved to members other than the sender, in order. */
function serverMentions(content: string, senderId: string): string[] {
  const byName = new Map(members.filter((m) => m.user.username).map((m) => [m.user.username!, m.user]));
  const ids = mentionedUsernames(content)
    .map((name) => byName.get(name))
    .filter((u) => u && u.id !== senderId)
    .map((u) => u!.username!);
  return [...new Set(ids)];
}

describe('mentions read by the web client', () => {
  it('are the ones the server resolves', () => {
    const texts = [
      'hi @bob',
      '@BOB and @Ann_Lee, see @bob again',
      'thanks @bob.',
      'ask @bob.smith or @bob.smith.',
      'mail bob@example.com or @sam@example.com',
      'x@bob (no mention), (@sam) and "@ann_lee"',
      '@zoe. and @zoe',
      '@bo @nobody @sam_ @samuel',
      '@sam, the sender, mentions nobody when sam writes it',
      'é@bob 1@bob _@bob .@bob',
      '',
      // Past 50 names, the rest is plain text: @sam comes 51st.
      `${Array.from({ length: 50 }, (_, i) => `@name${i}`).join(' ')} @sam`,
      `@bob ${Array.from({ length: 48 }, (_, i) => `@name${i}`).join(' ')} @sam`,
    ];
    for (const text of texts) {
      for (const sender of ['u4', 'u9']) {
        const read = web.mentionedMembers(text, members, sender).map((u) => u.username);
        expect(read, `${text} (sender ${sender})`).toEqual(serverMentions(text, sender));
      }
    }
  });
});
