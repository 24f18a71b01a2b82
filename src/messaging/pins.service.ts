// Pinned messages: any member pins a message for everyone in its conversation, or unpins it; each change is an
// event in the conversation's log (MESSAGE_PINNED / MESSAGE_UNPINNED), and repeating one changes nothing.
import type { Message, PrismaClient } from '../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import { appendEvents } from './events.ts';
import { Unchanged, type MessageService } from './messages.service.ts';
import type { Actor } from './conversations.service.ts';

/** Pinned messages a conversation may have at once. */
export const MAX_PINNED = 50;

export class PinService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly messages: MessageService,
  ) {}

  /**
   * Pins a message for everyone in its conversation, or unpins it; any member may. Nothing changes, and no event is
   * written, when it already is as asked. At most MAX_PINNED messages are pinned in a conversation.
   */
  async setPinned(actor: Actor, messageId: string, pinned: boolean): Promise<Message> {
    const message = await this.messages.requireVisible(actor, messageId);
    if (pinned && message.deletedAt) throw badInput('A deleted message cannot be pinned.', 'messageId');
    if (!!message.pinnedAt === pinned) return message;
    try {
      const { updated, events } = await this.prisma.$transaction(async (tx) => {
        const type = pinned ? 'MESSAGE_PINNED' : 'MESSAGE_UNPINNED';
        const events = await appendEvents(tx, message.conversationId, [{ type, messageId, userId: actor.userId }]);
        // Read again under the conversation lock: a concurrent pin, unpin or delete may have come first.
        const current = await tx.message.findUniqueOrThrow({ where: { id: messageId } });
        if (!!current.pinnedAt === pinned || (pinned && current.deletedAt)) throw new Unchanged(current);
        if (
          pinned &&
          (await tx.message.count({ where: { conversationId: message.conversationId, pinnedAt: { not: null } } })) >= MAX_PINNED
        )
          throw badInput(`At most ${MAX_PINNED} messages can be pinned in a conversation; unpin one first.`, 'messageId', 'PIN_LIMIT');
        const data = pinned ? { pinnedAt: new Date(), pinnedById: actor.userId } : { pinnedAt: null, pinnedById: null };
        return { updated: await tx.message.update({ where: { id: messageId }, data }), events };
      });
      await this.messages.publish(events);
      return updated;
    } catch (err) {
      if (err instanceof Unchanged) return err.message; // rolled back: no sequence taken, no event
      throw err;
    }
  }
}
