// Reactions to messages: a member adds or takes back one emoji at a time; each change is an event in the
// conversation's log (REACTION_ADDED / REACTION_REMOVED), and repeating one changes nothing.
import type { Message, PrismaClient } from '../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import { appendEvents } from './events.ts';
import { Unchanged, type MessageService } from './messages.service.ts';

type Actor = { tenantId: string; userId: string };

/** Distinct emoji a message may carry. */
export const MAX_EMOJI_PER_MESSAGE = 20;

/**
 * One emoji: a single RGI emoji (flags, skin tones and ZWJ sequences included) or one pictographic character. Built
 * with RegExp because TypeScript's target predates the `v` flag that Node has had since 20.
 */
const ONE_EMOJI = new RegExp('^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic})$', 'v');

/** The emoji as given, or BAD_USER_INPUT. */
export function cleanEmoji(emoji: string): string {
  if (emoji.length > 32 || !ONE_EMOJI.test(emoji)) throw badInput('emoji must be exactly one emoji, such as 👍 or 🎉.', 'emoji');
  return emoji;
}

export class ReactionService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly messages: MessageService,
  ) {}

  /** Adds (or with `added` false, takes back) the actor's reaction; the message as it is now. */
  async set(actor: Actor, messageId: string, rawEmoji: string, added: boolean): Promise<Message> {
    const emoji = cleanEmoji(rawEmoji);
    const message = await this.messages.requireVisible(actor, messageId);
    if (message.deletedAt) throw badInput('A deleted message cannot be reacted to.', 'messageId');
    const key = { messageId_userId_emoji: { messageId, userId: actor.userId, emoji } };
    if (!!(await this.prisma.reaction.findUnique({ where: key })) === added) return message;
    try {
      const events = await this.prisma.$transaction(async (tx) => {
        const type = added ? 'REACTION_ADDED' : 'REACTION_REMOVED';
        const events = await appendEvents(tx, message.conversationId, [{ type, messageId, userId: actor.userId, emoji }]);
        // Read again under the conversation lock: the same reaction may have been added or removed meanwhile.
        if (!!(await tx.reaction.findUnique({ where: key })) === added) throw new Unchanged(message);
        if (!added) await tx.reaction.delete({ where: key });
        else {
          const used = await tx.reaction.findMany({ where: { messageId }, distinct: ['emoji'], select: { emoji: true } });
          if (used.length >= MAX_EMOJI_PER_MESSAGE && !used.some((r) => r.emoji === emoji))
            throw badInput(`A message can carry at most ${MAX_EMOJI_PER_MESSAGE} different emoji.`, 'emoji', 'REACTION_LIMIT');
          await tx.reaction.create({ data: { messageId, userId: actor.userId, emoji } });
        }
        return events;
      });
      await this.messages.publish(events);
    } catch (err) {
      if (!(err instanceof Unchanged)) throw err;
    }
    return message;
  }
}
