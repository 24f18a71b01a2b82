// A change of a group (members, roles, settings) as one transaction under the conversation's lock, with its events,
// then told to whoever hears of it (message-publisher.ts). ConversationService, GroupService and InviteService change
// groups through it (ConversationService.changeMembers).
import type { Conversation, PrismaClient } from '../generated/prisma/client.ts';
import { lockConversation } from '../db/sql/conversations.ts';
import { appendEvents, type ConversationEventPayload, type EventDraft, type Tx } from './events.ts';
import type { MessagePublisher } from './message-publisher.ts';

/** A group's members as a change sees them, under the conversation's lock. */
export interface GroupMembers {
  /** How many there are. */
  count: number;
  /** Which of `userIds` are members (one query, however large the group). */
  among(userIds: string[]): Promise<Set<string>>;
}

/** The change itself: what it writes in the transaction, and the events it makes. */
export type GroupChange = (tx: Tx, members: GroupMembers) => Promise<EventDraft[]>;

/**
 * Runs `change` with its events in one transaction, under the conversation lock, then tells the members and
 * `alsoNotify` users (those it removed). The change sees the members as GroupMembers: a count and a lookup, never
 * the whole list.
 */
export async function changeGroup(
  prisma: PrismaClient,
  publisher: MessagePublisher,
  conversationId: string,
  change: GroupChange,
  alsoNotify: string[],
): Promise<Conversation> {
  const { events, before, conversation } = await prisma.$transaction(async (tx) => {
    // Lock the conversation row first so concurrent membership changes apply one after another.
    await lockConversation(tx, conversationId);
    const { memberCount: before } = await tx.conversation.findUniqueOrThrow({
      where: { id: conversationId },
      select: { memberCount: true },
    });
    const among = async (userIds: string[]) => {
      const rows = await tx.conversationMember.findMany({ where: { conversationId, userId: { in: userIds } }, select: { userId: true } });
      return new Set(rows.map((r) => r.userId));
    };
    const drafts = await change(tx, { count: before, among });
    const events: ConversationEventPayload[] = drafts.length ? await appendEvents(tx, conversationId, drafts) : [];
    const conversation = await tx.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    return { events, before, conversation };
  });
  await publisher.publishChange(events, before, conversation.memberCount, alsoNotify);
  return conversation;
}
