// Read pointers: each member's lastReadSequence only moves forward, and each move is a READ event. Unread counts
// and receipts are derived from the pointers, so they stay right however sends and reads interleave.
import type { Conversation, PrismaClient } from '../generated/prisma/client.ts';
import { badInput, notFound } from '../errors.ts';
import { appendEvents } from './events.ts';
import type { MessagePublisher } from './message-publisher.ts';
import type { Actor, ConversationService } from './conversations.service.ts';
import { lockConversation } from '../db/sql/conversations.ts';

export class ReadStateService {
  constructor(
    private readonly prisma: PrismaClient,
    /** Tells members of committed events (message-publisher.ts). */
    private readonly publisher: MessagePublisher,
    private readonly conversations: ConversationService,
  ) {}

  /** Marks the conversation read up to a message (default: everything so far). */
  async markConversationRead(actor: Actor, conversationId: string, upToMessageId?: string | null): Promise<Conversation> {
    const me = await this.conversations.requireMember(actor, conversationId);
    let upTo = me.conversation.lastSequence;
    if (upToMessageId) {
      const message = await this.prisma.message.findFirst({ where: { id: upToMessageId, conversationId }, select: { sequence: true } });
      if (!message) throw notFound('Message');
      upTo = message.sequence;
    }
    await this.advance(actor, conversationId, upTo);
    return this.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } });
  }

  /** Marks each message's conversation read up to the latest of the given messages in it. */
  async markMessagesRead(actor: Actor, messageIds: string[]): Promise<Conversation[]> {
    const ids = [...new Set(messageIds)];
    if (ids.length === 0 || ids.length > 100) throw badInput('Give 1 to 100 message ids.', 'messageIds');
    const messages = await this.prisma.message.findMany({
      where: { id: { in: ids }, tenantId: actor.tenantId, conversation: { members: { some: { userId: actor.userId } } } },
      select: { conversationId: true, sequence: true },
    });
    if (messages.length !== ids.length) throw notFound('Message');
    const upTo = new Map<string, number>();
    for (const m of messages) upTo.set(m.conversationId, Math.max(upTo.get(m.conversationId) ?? 0, m.sequence));
    for (const [conversationId, sequence] of upTo) await this.advance(actor, conversationId, sequence);
    return this.prisma.conversation.findMany({ where: { id: { in: [...upTo.keys()] } }, orderBy: { lastMessageAt: 'desc' } });
  }

  private async advance(actor: Actor, conversationId: string, upTo: number): Promise<void> {
    const result = await this.prisma.$transaction(async (tx) => {
      // Conversation row first (the lock order every writer uses), then a conditional update: only a forward
      // move writes, and only once however many reads race.
      await lockConversation(tx, conversationId);
      const moved = await tx.conversationMember.updateMany({
        where: { conversationId, userId: actor.userId, lastReadSequence: { lt: upTo } },
        data: { lastReadSequence: upTo, lastReadAt: new Date() },
      });
      if (moved.count === 0) return null;
      return appendEvents(tx, conversationId, [{ type: 'READ', userId: actor.userId, readUpTo: upTo }]);
    });
    if (result) await this.publisher.publish(result);
  }
}
