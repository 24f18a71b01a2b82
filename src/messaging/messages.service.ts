// Messages: send (idempotent by clientMessageId), edit with history, tombstone delete, and history pages by
// sequence. Every change is a conversation event in the same transaction (see events.ts).
import type { Message, PrismaClient, User } from '../generated/prisma/client.ts';
import { AppError, badInput, forbidden, isUniqueViolation, notFound } from '../errors.ts';
import { appendEvents, appendMessage, eventUser, toPayload, type ConversationEventPayload, type Tx } from './events.ts';
import { directKey, type Actor, type ConversationService } from './conversations.service.ts';
import { cleanClientMessageId, cleanContent, decodeCursor, encodeCursor, isSequence, pageSize, toPage, type Page } from './input.ts';
import type { SqlQuery } from '../db/client.ts';
import { ATTACHMENT_TAKEN, historyPage, REQUEST_LIMIT_REACHED, THREAD_ROOT_GONE, type HistoryRow } from '../db/sql/messages.ts';
import { REQUEST_MESSAGE_LIMIT, requestLimitReached } from './requests.service.ts';
import { mentionedMembers } from '../db/sql/mentions.ts';
import { mentionedUsernames } from './mentions.ts';
import { permitted } from './group-permissions.ts';
import type { MessagePublisher } from './message-publisher.ts';
import { quotableId, sendRefusal, threadRootOf } from './send-checks.ts';
import { mentionableUsernames } from './mentions.service.ts';
import { NO_TEXT_FILTER, type TextFilter } from '../text-rules.ts';

export interface SendInput {
  conversationId?: string | null;
  toUserId?: string | null;
  content: string;
  clientMessageId?: string | null;
  /** A reply: the message it quotes, of the same conversation. */
  replyToId?: string | null;
  /** A thread reply: the thread's root (a reply to a thread reply joins that reply's thread). */
  threadRootId?: string | null;
  /** The sender's uploads to attach, in order (content may then be empty). */
  attachmentIds?: string[] | null;
  /** The sender's row when the caller has it (the signed-in viewer): it travels with the live event, see events.ts. */
  sender?: User;
}

/** Thrown inside a transaction to roll it back when a change turns out to be made already (pins, reactions). */
export class Unchanged {
  constructor(readonly message: Message) {}
}

/** What sending and deleting messages need of attachments (AttachmentService implements it). */
export interface MessageAttachments {
  /**
   * The ids an actor may attach to a new message, in order: their own uploads not yet sent, at most 10, no repeats;
   * else NOT_FOUND (field attachmentIds) or BAD_USER_INPUT.
   */
  attachable(actor: Actor, ids: string[]): Promise<string[]>;
  /** A message was deleted (tombstoned): its files go, rows and stored bytes. */
  messageDeleted(messageId: string): Promise<void>;
}

/** Without an attachment store, no message takes attachments. */
const NO_ATTACHMENTS: MessageAttachments = {
  attachable: async (_actor, ids) => {
    if (ids.length) throw new AppError('NOT_FOUND', 'Attachments are not available on this server.', { field: 'attachmentIds' });
    return [];
  },
  messageDeleted: async () => {},
};

export type PageArgs = { first?: number | null; after?: string | null; last?: number | null; before?: string | null };
/** What a history page reads besides its range: see MessageService.page. */
export type PageRead = { viewer?: Actor; threadRootId?: string; quotes?: boolean };

export class MessageService {
  constructor(
    private readonly prisma: PrismaClient,
    /** Hand-written statements for the two hot paths, history pages and sends (Database.query). */
    private readonly sql: SqlQuery,
    /** Who hears of a conversation's events, and telling them (message-publisher.ts). */
    private readonly publisher: MessagePublisher,
    private readonly conversations: ConversationService,
    /** Told after a message is stored (typing indicators end when their author sends). */
    private readonly onSent: (tenantId: string, conversationId: string, senderId: string, message: Message) => void = () => {},
    private readonly attachments: MessageAttachments = NO_ATTACHMENTS,
    /** The tenant's content filter, applied to content sent and edited. */
    private readonly filter: TextFilter = NO_TEXT_FILTER,
    /** Message requests: admitSend before every send (RequestService); without it, no send is limited. */
    private readonly requests?: { admitSend(actor: Actor, conversationId: string): Promise<void> },
  ) {}

  /** Publishes committed events (consecutive, of one conversation) to the conversation and its members. */
  publish(events: ConversationEventPayload[]): Promise<void> {
    return this.publisher.publish(events);
  }

  /** A message in one of the actor's conversations, or NOT_FOUND. */
  async requireVisible(actor: Actor, messageId: string): Promise<Message> {
    const found = await this.prisma.message.findFirst({
      where: { id: messageId, tenantId: actor.tenantId, conversation: { members: { some: { userId: actor.userId } } } },
      include: { conversation: { select: { members: { where: { userId: actor.userId }, select: { visibleFrom: true } } } } },
    });
    // A member reads from their visibleFrom on (a group whose history shows from joining on).
    if (!found || found.sequence < (found.conversation.members[0]?.visibleFrom ?? 0)) throw notFound('Message');
    const { conversation: _member, ...message } = found;
    return message;
  }

  async send(actor: Actor, input: SendInput): Promise<Message> {
    const attachmentIds = input.attachmentIds ?? [];
    // With attachments the text may be empty; without, it is a message's text as ever.
    const cleaned = attachmentIds.length && !input.content.trim() ? '' : cleanContent(input.content);
    const content = await this.filter.apply({ ...actor, conversationId: input.conversationId }, cleaned, 'content');
    const clientMessageId = cleanClientMessageId(input.clientMessageId);
    if (!!input.conversationId === !!input.toUserId) throw badInput('Give exactly one of conversationId and toUserId.', 'conversationId');
    if (clientMessageId) {
      const first = await this.retried(actor, clientMessageId, input);
      if (first) {
        await this.republish(first);
        return first;
      }
    }
    // One statement checks membership (NOT_FOUND as requireMember) and writes the message and its event.
    const conversationId = input.conversationId ?? (await this.conversations.startDirect(actor, input.toUserId!)).id;
    await this.requests?.admitSend(actor, conversationId);
    const replyToId = input.replyToId ? await quotableId(this.prisma, actor, conversationId, input.replyToId) : null;
    const threadRootId = input.threadRootId ? await threadRootOf(this.prisma, actor, conversationId, input.threadRootId) : null;
    try {
      const written = await appendMessage(this.sql, {
        tenantId: actor.tenantId,
        conversationId,
        senderId: actor.userId,
        content,
        clientMessageId,
        now: new Date(),
        replyToId,
        threadRootId,
        mentions: await mentionableUsernames(this.prisma, actor, mentionedUsernames(content)),
        attachmentIds: await this.attachments.attachable(actor, attachmentIds),
        requestLimit: REQUEST_MESSAGE_LIMIT,
      });
      if (!written) throw await sendRefusal(this.prisma, actor, conversationId);
      const sender = input.sender?.id === actor.userId ? eventUser(input.sender) : undefined;
      written.event.rows = { message: written.message, ...(sender ? { user: sender } : {}) };
      await this.publish([written.event]);
      this.onSent(actor.tenantId, conversationId, actor.userId, written.message);
      return written.message;
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      // Two retries racing: the loser's insert hits the unique key, or finds the attachments taken by the winner, and
      // returns the winner's message.
      if (clientMessageId && (isUniqueViolation(err) || code === ATTACHMENT_TAKEN)) {
        const first = await this.retried(actor, clientMessageId, input);
        if (first) return first;
      }
      if (code === ATTACHMENT_TAKEN)
        throw new AppError('NOT_FOUND', 'An attachment was sent with another message meanwhile.', { field: 'attachmentIds' });
      if (code === THREAD_ROOT_GONE)
        throw new AppError('NOT_FOUND', 'The thread to reply in was deleted meanwhile.', { field: 'threadRootId' });
      if (code === REQUEST_LIMIT_REACHED) throw requestLimitReached();
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
    if (event) await this.publish([toPayload(event)]);
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
    if (!same)
      throw new AppError('CONFLICT', 'This clientMessageId was already used for another conversation.', { field: 'clientMessageId' });
    const { conversation: _, ...message } = first;
    return message;
  }

  async edit(actor: Actor, messageId: string, rawContent: string): Promise<Message> {
    const cleaned = cleanContent(rawContent);
    const message = await this.requireVisible(actor, messageId);
    if (message.senderId !== actor.userId) throw forbidden('Only the sender can edit a message.');
    if (message.deletedAt) throw badInput('A deleted message cannot be edited.', 'id');
    const content = await this.filter.apply({ ...actor, conversationId: message.conversationId, messageId }, cleaned, 'content');
    if (message.content === content) return message;
    const { updated, events } = await this.prisma.$transaction(async (tx) => {
      const events = await appendEvents(tx, message.conversationId, [{ type: 'MESSAGE_EDITED', messageId, userId: actor.userId }]);
      // Read the current version under the conversation lock: a concurrent edit may have changed it.
      const current = await tx.message.findUniqueOrThrow({ where: { id: messageId } });
      if (current.deletedAt) throw badInput('A deleted message cannot be edited.', 'id');
      await tx.messageEdit.create({ data: { messageId, content: current.content, createdAt: current.editedAt ?? current.createdAt } });
      const mentionedIds = await this.remention(tx, actor, current, content, events[0].sequence);
      const updated = await tx.message.update({ where: { id: messageId }, data: { content, editedAt: new Date(), mentionedIds } });
      return { updated, events };
    });
    await this.publish(events);
    return updated;
  }

  /**
   * The mentions of an edited message's new text: its MessageMention rows are replaced, and the new mentionedIds
   * returned. Whoever was mentioned before and still is keeps their row (and its place among unread mentions);
   * someone newly mentioned gets the edit's sequence and time, so the mention is unread for them like a new message.
   */
  private async remention(tx: Tx, actor: Actor, message: Message, content: string, editSequence: number): Promise<string[]> {
    const ids = await mentionedMembers(tx, {
      tenantId: actor.tenantId,
      conversationId: message.conversationId,
      senderId: message.senderId ?? actor.userId,
      usernames: await mentionableUsernames(tx, actor, mentionedUsernames(content)),
    });
    await tx.messageMention.deleteMany({ where: { messageId: message.id, userId: { notIn: ids } } });
    await tx.messageMention.createMany({
      data: ids.map((userId) => ({
        messageId: message.id,
        userId,
        conversationId: message.conversationId,
        sequence: editSequence,
        createdAt: new Date(),
      })),
      skipDuplicates: true,
    });
    return ids;
  }

  /** Tombstones a message: content and edit history go, the message keeps its place. Sender, or group owners and admins. */
  async delete(actor: Actor, messageId: string): Promise<Message> {
    const message = await this.requireVisible(actor, messageId);
    if (message.senderId !== actor.userId) {
      const me = await this.conversations.requireMember(actor, message.conversationId);
      if (!permitted(me.role, 'deleteOthersMessages', me.conversation))
        throw forbidden("Only the sender, or a group's owners and admins, can delete a message.");
    }
    return this.tombstone(actor, message);
  }

  /** Tombstones a message of the actor's tenant as a moderator acting on a report: no membership needed. */
  async moderatorDelete(actor: Actor, messageId: string): Promise<Message> {
    const message = await this.prisma.message.findFirst({ where: { id: messageId, tenantId: actor.tenantId } });
    if (!message) throw notFound('Message');
    return this.tombstone(actor, message);
  }

  private async tombstone(actor: Actor, message: Message): Promise<Message> {
    const messageId = message.id;
    if (message.deletedAt) return message;
    const { updated, events } = await this.prisma.$transaction(async (tx) => {
      const events = await appendEvents(tx, message.conversationId, [{ type: 'MESSAGE_DELETED', messageId, userId: actor.userId }]);
      await tx.messageEdit.deleteMany({ where: { messageId } });
      await tx.messageMention.deleteMany({ where: { messageId } });
      const updated = await tx.message.update({
        where: { id: messageId },
        // A tombstone is not pinned and mentions nobody.
        data: { content: '', deletedAt: new Date(), pinnedAt: null, pinnedById: null, mentionedIds: [] },
      });
      return { updated, events };
    });
    await this.publish(events);
    await this.attachments.messageDeleted(messageId);
    return updated;
  }

  /**
   * History by sequence: `first`/`after` reads forward, `last`/`before` reads backward (the newest page when
   * `last` is given alone). One statement returns the page's messages (every column) with their senders (all but
   * withheld columns; null once the account is deleted). With `viewer`, the same statement checks that the viewer
   * is a member of the conversation in their tenant: NOT_FOUND otherwise, as requireMember. The main history leaves
   * thread replies out; with `threadRootId`, the page is that thread's replies instead. With `quotes`, each row also
   * holds the message it quotes, with its sender (HistoryRow.quote).
   */
  async page(conversationId: string, args: PageArgs, read: PageRead = {}): Promise<Page<HistoryRow>> {
    if ((args.first != null || args.after != null) && (args.last != null || args.before != null)) {
      throw badInput('Use first/after or last/before, not both.', 'last');
    }
    const backward = args.last != null || args.before != null;
    const limit = backward ? pageSize(args.last, 'last') : pageSize(args.first, 'first');
    const after = decodeCursor('m', args.after, 'after', isSequence);
    const before = decodeCursor('m', args.before, 'before', isSequence);
    const page = await historyPage(this.sql, { conversationId, take: limit + 1, after, before, backward, ...read });
    if (!page) throw notFound('Conversation');
    return toPage(page, limit, (r) => encodeCursor('m', r.message.sequence), { backward, hadCursor: (backward ? before : after) !== null });
  }
}
