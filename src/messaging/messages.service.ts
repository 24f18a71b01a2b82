// Messages: send (idempotent by clientMessageId), edit with history, tombstone delete, and history pages by
// sequence. Every change is a conversation event in the same transaction (see events.ts).
import type { Message, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, badInput, forbidden, isUniqueViolation, notFound } from '../errors.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { appendEvents, publishEvents, takeMessageSequence, toPayload, writeEvents } from './events.ts';
import { directKey, type Actor, type ConversationService } from './conversations.service.ts';
import { cleanClientMessageId, cleanContent, decodeCursor, encodeCursor, isSequence, pageSize, toPage } from './input.ts';

export interface SendInput {
  conversationId?: string | null;
  toUserId?: string | null;
  content: string;
  clientMessageId?: string | null;
}

export class MessageService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: ParleyPubSub,
    private readonly conversations: ConversationService,
    /** Told after a message is stored (typing indicators end when their author sends). */
    private readonly onSent: (tenantId: string, conversationId: string, senderId: string) => void = () => {},
  ) {}

  private async memberIds(conversationId: string): Promise<string[]> {
    const rows = await this.prisma.conversationMember.findMany({ where: { conversationId }, select: { userId: true } });
    return rows.map((r) => r.userId);
  }

  /** A message in one of the actor's conversations, or NOT_FOUND. */
  async requireVisible(actor: Actor, messageId: string): Promise<Message> {
    const message = await this.prisma.message.findFirst({
      where: { id: messageId, tenantId: actor.tenantId, conversation: { members: { some: { userId: actor.userId } } } },
    });
    if (!message) throw notFound('Message');
    return message;
  }

  async send(actor: Actor, input: SendInput): Promise<Message> {
    const content = cleanContent(input.content);
    const clientMessageId = cleanClientMessageId(input.clientMessageId);
    if (!!input.conversationId === !!input.toUserId) throw badInput('Give exactly one of conversationId and toUserId.', 'conversationId');
    if (clientMessageId) {
      const first = await this.retried(actor, clientMessageId, input);
      if (first) {
        await this.republish(first);
        return first;
      }
    }
    const conversationId = input.conversationId
      ? (await this.conversations.requireMember(actor, input.conversationId)).conversationId
      : (await this.conversations.startDirect(actor, input.toUserId!)).id;
    try {
      const { message, events } = await this.prisma.$transaction(async (tx) => {
        const { sequence, at } = await takeMessageSequence(tx, conversationId, new Date());
        const message = await tx.message.create({
          data: { tenantId: actor.tenantId, conversationId, senderId: actor.userId, sequence, content, clientMessageId, createdAt: at },
        });
        const events = await writeEvents(tx, conversationId, sequence, [{ type: 'MESSAGE_ADDED', messageId: message.id, userId: actor.userId }]);
        return { message, events };
      });
      publishEvents(this.pubsub, events, await this.memberIds(conversationId));
      this.onSent(actor.tenantId, conversationId, actor.userId);
      return message;
    } catch (err) {
      // Two retries racing: the loser's insert hits the unique key and returns the winner's message.
      if (clientMessageId && isUniqueViolation(err)) {
        const first = await this.retried(actor, clientMessageId, input);
        if (first) return first;
      }
      throw err;
    }
  }

  /**
   * A retry may follow an attempt whose commit took effect but whose answer (and publish) was lost to a dropped
   * connection: publish the message's event again, so subscribers see it now rather than with the next event. Live
   * events are triggers and streams drop sequences they have delivered, so a repeat is harmless.
   */
  private async republish(message: Message) {
    const event = await this.prisma.conversationEvent.findUnique({
      where: { conversationId_sequence: { conversationId: message.conversationId, sequence: message.sequence } },
    });
    if (event) publishEvents(this.pubsub, [toPayload(event)], await this.memberIds(message.conversationId));
  }

  /** The message first sent with this key, if any; a key reused for another conversation is a CONFLICT. */
  private async retried(actor: Actor, clientMessageId: string, input: SendInput): Promise<Message | null> {
    const first = await this.prisma.message.findUnique({
      where: { senderId_clientMessageId: { senderId: actor.userId, clientMessageId } },
      include: { conversation: { select: { directKey: true } } },
    });
    if (!first) return null;
    const same = input.conversationId
      ? first.conversationId === input.conversationId
      : first.conversation.directKey === directKey(actor.userId, input.toUserId!);
    if (!same) throw new AppError('CONFLICT', 'This clientMessageId was already used for another conversation.', { field: 'clientMessageId' });
    const { conversation: _, ...message } = first;
    return message;
  }

  async edit(actor: Actor, messageId: string, rawContent: string): Promise<Message> {
    const content = cleanContent(rawContent);
    const message = await this.requireVisible(actor, messageId);
    if (message.senderId !== actor.userId) throw forbidden('Only the sender can edit a message.');
    if (message.deletedAt) throw badInput('A deleted message cannot be edited.', 'id');
    if (message.content === content) return message;
    const { updated, events } = await this.prisma.$transaction(async (tx) => {
      const events = await appendEvents(tx, message.conversationId, [{ type: 'MESSAGE_EDITED', messageId, userId: actor.userId }]);
      // Read the current version under the conversation lock: a concurrent edit may have changed it.
      const current = await tx.message.findUniqueOrThrow({ where: { id: messageId } });
      if (current.deletedAt) throw badInput('A deleted message cannot be edited.', 'id');
      await tx.messageEdit.create({ data: { messageId, content: current.content, createdAt: current.editedAt ?? current.createdAt } });
      const updated = await tx.message.update({ where: { id: messageId }, data: { content, editedAt: new Date() } });
      return { updated, events };
    });
    publishEvents(this.pubsub, events, await this.memberIds(message.conversationId));
    return updated;
  }

  /** Tombstones a message: content and edit history go, the message keeps its place. Sender or group owner. */
  async delete(actor: Actor, messageId: string): Promise<Message> {
    const message = await this.requireVisible(actor, messageId);
    if (message.senderId !== actor.userId) {
      const me = await this.conversations.requireMember(actor, message.conversationId);
      if (me.conversation.kind !== 'GROUP' || me.role !== 'OWNER') throw forbidden('Only the sender or a group owner can delete a message.');
    }
    if (message.deletedAt) return message;
    const { updated, events } = await this.prisma.$transaction(async (tx) => {
      const events = await appendEvents(tx, message.conversationId, [{ type: 'MESSAGE_DELETED', messageId, userId: actor.userId }]);
      await tx.messageEdit.deleteMany({ where: { messageId } });
      const updated = await tx.message.update({ where: { id: messageId }, data: { content: '', deletedAt: new Date() } });
      return { updated, events };
    });
    publishEvents(this.pubsub, events, await this.memberIds(message.conversationId));
    return updated;
  }

  /**
   * History by sequence: `first`/`after` reads forward, `last`/`before` reads backward (the newest page when
   * `last` is given alone). Returns ids and sequences; the schema loads the selection.
   */
  async page(conversationId: string, args: { first?: number | null; after?: string | null; last?: number | null; before?: string | null }) {
    if ((args.first != null || args.after != null) && (args.last != null || args.before != null)) {
      throw badInput('Use first/after or last/before, not both.', 'last');
    }
    const backward = args.last != null || args.before != null;
    const limit = backward ? pageSize(args.last, 'last') : pageSize(args.first, 'first');
    const after = decodeCursor('m', args.after, 'after', isSequence);
    const before = decodeCursor('m', args.before, 'before', isSequence);
    const rows = await this.prisma.message.findMany({
      where: {
        conversationId,
        ...(after !== null ? { sequence: { gt: after } } : {}),
        ...(before !== null ? { sequence: { lt: before } } : {}),
      },
      orderBy: { sequence: backward ? 'desc' : 'asc' },
      take: limit + 1,
      select: { id: true, sequence: true },
    });
    return toPage(rows, limit, (r) => encodeCursor('m', r.sequence), { backward, hadCursor: (backward ? before : after) !== null });
  }
}
