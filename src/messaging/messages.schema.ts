// GraphQL shape of messages: the Message type, history, and send/edit/delete/pin. Search and statistics are
// search.schema.ts; threads and mentions threads.schema.ts; reactions reactions.schema.ts.
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import { builder, onlyScalars } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import type { Message, User } from '../generated/prisma/client.ts';
import { actorOf, batchLoad, withRows } from './loaders.ts';
import { answer, known, type Known } from '../db/rows.ts';
import type { HistoryRow } from '../db/sql/messages.ts';
import type { PageArgs } from './messages.service.ts';
import type { Actor } from './conversations.service.ts';

export const DELETED_USER_NAME = 'Deleted user';

builder.prismaObject('MessageEdit', {
  description: 'An earlier version of an edited message.',
  fields: (t) => ({
    content: t.exposeString('content', { description: 'The text as it was.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When this version was written.' }),
    editedAt: t.expose('editedAt', { type: 'DateTime', description: 'When it was replaced.' }),
  }),
});

const MessageStatusRef = builder.enumType('MessageStatus', {
  description: "Where a message is in its life: people's messages are COMPLETE when sent; an assistant's answer streams first.",
  values: {
    STREAMING: { description: 'Being written: its text grows by MESSAGE_DELTA events until MESSAGE_COMPLETED.' },
    COMPLETE: { description: 'Finished.' },
    STOPPED: { description: 'Stopped by a member (stopAssistantReply); the text is what was written until then.' },
    FAILED: { description: 'The model failed or refused (a spent AI budget, a provider error); the text says so or is what came before.' },
  } as const,
});

export const MessageRef = builder.prismaObject('Message', {
  description: 'A message in a conversation. Deleted messages stay in order as tombstones (no content).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Message id.' }),
    conversationId: t.exposeID('conversationId', { description: 'Id of its conversation.' }),
    conversation: t.relation('conversation', { description: 'Its conversation.' }),
    sequence: t.exposeInt('sequence', { description: 'Position in the conversation: increases by event, never reused.' }),
    content: t.string({
      nullable: true,
      description: "The text; null once deleted. While an assistant's answer is STREAMING: its text so far (see streamedDeltas).",
      resolve: async (m, _args, ctx) => {
        if (m.deletedAt) return null;
        if (m.status !== 'STREAMING') return m.content;
        return (await ctx.services.messaging.streaming.textSoFar(m.id))?.text ?? m.content;
      },
    }),
    status: t.field({
      type: MessageStatusRef,
      description:
        "COMPLETE for every message people send. An assistant's answer is STREAMING until MESSAGE_COMPLETED, then COMPLETE, STOPPED or FAILED.",
      resolve: (m) => m.status,
    }),
    streamedDeltas: t.int({
      description:
        'While STREAMING: how many MESSAGE_DELTA pieces `content` already holds (skip a delta whose index is below this); 0 otherwise.',
      resolve: async (m, _args, ctx) =>
        m.status === 'STREAMING' && !m.deletedAt ? ((await ctx.services.messaging.streaming.textSoFar(m.id))?.pieces ?? 0) : 0,
    }),
    sender: t.relation('sender', { nullable: true, description: 'Who sent it; null when their account was deleted (show `senderName`).' }),
    senderName: t.string({
      description: `The sender's name, or "${DELETED_USER_NAME}" when the account no longer exists.`,
      select: { sender: { select: { name: true } } },
      resolve: (m) => m.sender?.name ?? DELETED_USER_NAME,
    }),
    clientMessageId: t.string({
      nullable: true,
      description: "The sender's idempotency key (shown to the sender only).",
      resolve: (m, _args, ctx) => (m.senderId === ctx.viewer?.user.id ? m.clientMessageId : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was sent.' }),
    editedAt: t.expose('editedAt', { type: 'DateTime', nullable: true, description: 'When it was last edited.' }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true, description: 'When it was deleted (a tombstone).' }),
    pinnedAt: t.expose('pinnedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was pinned in its conversation (see Conversation.pinnedMessages); null when not pinned.',
    }),
    pinnedBy: t.relation('pinnedBy', { nullable: true, description: 'Who pinned it; null when not pinned or their account was deleted.' }),
    replyToId: t.exposeID('replyToId', { nullable: true, description: 'Id of the message this one replies to (quotes), if any.' }),
    replyTo: t.relation('replyTo', {
      nullable: true,
      description:
        'The message this one replies to, as it is now: its latest text once edited, a tombstone (no content) once deleted; null for no reply.',
    }),
    edits: t.relation('edits', {
      description: 'Earlier versions, oldest first (empty once deleted).',
      query: { orderBy: { editedAt: 'asc' } },
    }),
    readBy: t.field({
      type: [UserRef],
      description: 'Members other than the sender whose read pointer has reached this message (read receipts).',
      resolve: async (m, _args, ctx) => {
        const members = await batchLoad(ctx, 'readers', m.conversationId, async (ids) => {
          const rows = await ctx.prisma.conversationMember.findMany({ where: { conversationId: { in: ids } }, include: { user: true } });
          const map = new Map<string, { lastReadSequence: number; user: User }[]>();
          for (const r of rows) map.set(r.conversationId, [...(map.get(r.conversationId) ?? []), r]);
          return map;
        });
        return (members ?? []).filter((r) => r.user.id !== m.senderId && r.lastReadSequence >= m.sequence).map((r) => r.user);
      },
    }),
  }),
});

export const MessageConnection = builder.connectionObject(
  { type: MessageRef, name: 'MessageConnection', description: 'A page of messages, in sequence order.' },
  { description: 'A message and its cursor.' },
);

/**
 * A history page with the GraphQL selection: answered from the rows the page read (messages, their senders and,
 * when `replyTo` is selected, the quoted messages with theirs) when they cover it, as they do for a message's own
 * fields and those relations; other relations (edits, conversation) are loaded for the whole page in one query. With
 * `viewer`, the page read checks their membership (NOT_FOUND). With `threadRootId`, the page is that thread's replies.
 */
export async function loadMessagePage(
  ctx: Context,
  info: GraphQLResolveInfo,
  conversationId: string,
  args: PageArgs,
  viewer?: Actor,
  threadRootId?: string,
) {
  const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
  const quotes = selectsRelation(query, 'replyTo');
  const page = await ctx.services.messaging.messages.page(conversationId, args, { viewer, threadRootId, quotes });
  const rows = page.edges.map((e) => e.node);
  if (rows.length && !answer(query, pageProbe(rows, quotes))) {
    return withRows(
      page,
      (row) => row.message.id,
      (ids) => ctx.prisma.message.findMany({ ...query, where: { id: { in: ids } } }),
      (_row, row) => row,
    );
  }
  // Answered: each row is the node, its relations attached (columns beyond the selection are harmless).
  const node = (row: HistoryRow): Message & Record<string, unknown> =>
    Object.assign(row.message, { sender: row.sender }, quotes ? { replyTo: row.quote && node(row.quote) } : {});
  return { pageInfo: page.pageInfo, edges: page.edges.map(({ cursor, node: row }) => ({ cursor, node: node(row) })) };
}

/** Whether a Prisma query selects (or includes) the relation `name`. */
const selectsRelation = (query: { select?: object; include?: object }, name: string): boolean =>
  Boolean((query.select as Record<string, unknown> | undefined)?.[name] ?? (query.include as Record<string, unknown> | undefined)?.[name]);

/**
 * Every row of a page has the same columns, so one probe answers for all: a message with the first sender found on
 * the page and, read with quotes, the first quote found with the first quoted sender found. A relation is null in
 * the probe only when it is null on every row, where null is the answer anyway.
 */
function pageProbe(rows: HistoryRow[], quotes: boolean): Known {
  const sender = rows.find((r) => r.sender)?.sender ?? null;
  const relations: Record<string, Known | null> = { sender: sender && known('User', sender) };
  if (quotes) {
    const quote = rows.find((r) => r.quote)?.quote;
    const quoted = rows.find((r) => r.quote?.sender)?.quote?.sender ?? null;
    relations.replyTo = quote ? known('Message', quote.message, { sender: quoted && known('User', quoted) }) : null;
  }
  return known('Message', rows[0].message, relations);
}

const SendMessageInput = builder.inputType('SendMessageInput', {
  description: 'A message to send: to a conversation, or to a person (their DIRECT conversation, created if needed).',
  fields: (t) => ({
    conversationId: t.id({ description: 'The conversation (give this or toUserId).' }),
    toUserId: t.id({ description: 'A person: sends to the DIRECT conversation with them.' }),
    content: t.string({
      required: true,
      description:
        '1 to 4000 characters after trimming; no control characters except newline and tab. May be empty when `attachmentIds` are given. `@username` names a member (see Message.mentions).',
    }),
    clientMessageId: t.string({ description: 'Idempotency key: a retry with the same key returns the first message and stores nothing.' }),
    replyToId: t.id({
      description: 'Sends a reply quoting this message, which must be in the same conversation and not deleted (else NOT_FOUND).',
    }),
    threadRootId: t.id({
      description:
        "Sends the message as a reply in this message's thread (a reply to a thread reply joins the same thread). It stays out of the conversation's `messages` and is read with the root's `replies`. The root must be in the same conversation (else NOT_FOUND); a deleted message starts no thread.",
    }),
    attachmentIds: t.idList({
      description:
        "Uploads to attach (uploadAttachment), in order, at most 10: the sender's own, not sent yet (else NOT_FOUND with field attachmentIds).",
    }),
  }),
});

builder.queryFields((t) => ({
  message: t.prismaField({
    type: 'Message',
    nullable: true,
    authScopes: { signedIn: true },
    description:
      "One message of a conversation the viewer is in (a thread's root, a mention, a link); null when it does not exist, the viewer is not a member, or it came before they joined a group whose history shows from joining on.",
    args: { id: t.arg.id({ required: true, description: 'The message.' }) },
    resolve: async (query, _root, args, ctx) => {
      const visible = await ctx.services.messaging.messages.requireVisible(actorOf(ctx), String(args.id)).catch((err: unknown) => {
        if ((err as { code?: unknown }).code === 'NOT_FOUND') return null;
        throw err;
      });
      return visible && ctx.prisma.message.findUnique({ ...query, where: { id: visible.id } });
    },
  }),
  messages: t.field({
    type: MessageConnection,
    authScopes: { signedIn: true },
    description: 'History of a conversation the viewer is in: `first`/`after` forward, `last`/`before` backward (newest with `last`).',
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      first: t.arg.int({ description: 'Page size reading forward (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor to read forward from.' }),
      last: t.arg.int({ description: 'Page size reading backward (default 20, max 100).' }),
      before: t.arg.string({ description: 'Cursor to read backward from.' }),
    },
    resolve: (_root, { conversationId, ...args }, ctx, info) => loadMessagePage(ctx, info, String(conversationId), args, actorOf(ctx)),
  }),
}));

/** A message a mutation just wrote, as the client selected it (read again only when relations are selected). */
export function selected(ctx: Context, query: { include?: object; select?: object }, m: Message) {
  return onlyScalars(query) ? m : ctx.prisma.message.findUniqueOrThrow({ ...query, where: { id: m.id } });
}

builder.mutationFields((t) => ({
  sendMessage: t.prismaField({
    type: 'Message',
    authScopes: { signedIn: true },
    description: 'Sends a message. With `toUserId`, to the DIRECT conversation with that person (created if needed).',
    args: { input: t.arg({ type: SendMessageInput, required: true, description: 'The message.' }) },
    resolve: async (query, _root, { input }, ctx) => {
      const m = await ctx.services.messaging.messages.send(actorOf(ctx), {
        content: input.content,
        conversationId: input.conversationId == null ? null : String(input.conversationId),
        toUserId: input.toUserId == null ? null : String(input.toUserId),
        clientMessageId: input.clientMessageId,
        replyToId: input.replyToId == null ? null : String(input.replyToId),
        threadRootId: input.threadRootId == null ? null : String(input.threadRootId),
        attachmentIds: input.attachmentIds?.map(String) ?? null,
        sender: requireViewer(ctx).user,
      });
      return selected(ctx, query, m);
    },
  }),
  editMessage: t.prismaField({
    type: 'Message',
    authScopes: { signedIn: true },
    description: 'Changes a message (sender only); the previous text is kept in `edits`.',
    args: {
      id: t.arg.id({ required: true, description: 'The message.' }),
      content: t.arg.string({ required: true, description: 'New text (same rules as sendMessage).' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const m = await ctx.services.messaging.messages.edit(actorOf(ctx), String(args.id), args.content);
      return selected(ctx, query, m);
    },
  }),
  pinMessage: t.prismaField({
    type: 'Message',
    authScopes: { signedIn: true },
    description:
      'Pins a message for every member of its conversation (any member may; a deleted message cannot be). Pinning a pinned message changes nothing. At most 50 per conversation (BAD_USER_INPUT, reason PIN_LIMIT).',
    args: { messageId: t.arg.id({ required: true, description: 'The message.' }) },
    resolve: async (query, _root, args, ctx) =>
      selected(ctx, query, await ctx.services.messaging.pins.setPinned(actorOf(ctx), String(args.messageId), true)),
  }),
  unpinMessage: t.prismaField({
    type: 'Message',
    authScopes: { signedIn: true },
    description: 'Unpins a message (any member may). Unpinning a message that is not pinned changes nothing.',
    args: { messageId: t.arg.id({ required: true, description: 'The message.' }) },
    resolve: async (query, _root, args, ctx) =>
      selected(ctx, query, await ctx.services.messaging.pins.setPinned(actorOf(ctx), String(args.messageId), false)),
  }),
  deleteMessage: t.prismaField({
    type: 'Message',
    authScopes: { signedIn: true },
    description: 'Deletes a message (sender, or a group owner): it stays in order as a tombstone without content.',
    args: { id: t.arg.id({ required: true, description: 'The message.' }) },
    resolve: async (query, _root, args, ctx) => {
      const m = await ctx.services.messaging.messages.delete(actorOf(ctx), String(args.id));
      return selected(ctx, query, m);
    },
  }),
}));
