// What a send checks before and after its one statement: the message it quotes, the thread it replies in (both in a
// conversation of the sender's, so a stranger learns nothing of what a conversation holds), and, only after a send
// wrote nothing, why.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { AppError, forbidden, notFound } from '../errors.ts';
import type { Actor } from './conversations.service.ts';
import { permitted } from './group-permissions.ts';

/**
 * Why a send wrote nothing, read only then: a member of a group only owners and admins post in (FORBIDDEN), or
 * not a member of the conversation in the sender's tenant (NOT_FOUND, as requireMember).
 */
export async function sendRefusal(prisma: PrismaClient, actor: Actor, conversationId: string): Promise<AppError> {
  const member = await prisma.conversationMember.findFirst({
    where: { conversationId, userId: actor.userId, conversation: { tenantId: actor.tenantId } },
    select: { role: true, conversation: { select: { kind: true, postPolicy: true, editPolicy: true } } },
  });
  if (member && !permitted(member.role, 'post', member.conversation))
    return forbidden('Only group owners and admins can post in this group.');
  return notFound('Conversation');
}

/**
 * The root of the thread a reply joins: a message of the same conversation, or the root of the thread it is in
 * (threads are one level deep). A deleted message starts no thread, though a thread it already has goes on.
 */
export async function threadRootOf(prisma: PrismaClient, actor: Actor, conversationId: string, messageId: string): Promise<string> {
  const target = await prisma.message.findFirst({
    where: { id: messageId, conversationId, tenantId: actor.tenantId, conversation: { members: { some: { userId: actor.userId } } } },
    select: { id: true, threadRootId: true, deletedAt: true, replyCount: true },
  });
  if (target?.threadRootId) return target.threadRootId;
  if (!target || (target.deletedAt && target.replyCount === 0))
    throw new AppError('NOT_FOUND', 'The thread to reply in is not in this conversation, or was deleted.', { field: 'threadRootId' });
  return target.id;
}

/** The id of a message a reply may quote: one of the same conversation, not deleted; else NOT_FOUND. */
export async function quotableId(prisma: PrismaClient, actor: Actor, conversationId: string, replyToId: string): Promise<string> {
  const quoted = await prisma.message.findFirst({
    // In a conversation of the sender's: a stranger learns nothing of which messages a conversation holds.
    where: {
      id: replyToId,
      conversationId,
      tenantId: actor.tenantId,
      deletedAt: null,
      conversation: { members: { some: { userId: actor.userId } } },
    },
    select: { id: true },
  });
  if (!quoted)
    throw new AppError('NOT_FOUND', 'The message to reply to is not in this conversation, or was deleted.', { field: 'replyToId' });
  return quoted.id;
}
