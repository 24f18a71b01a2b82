// GraphQL shape of threads and mentions: Message.threadRootId, threadSummary and replies; Message.mentions,
// Conversation.unreadMentionCount and the viewer's mentions list. Rules live in MessageService (sending into a
// thread, resolving @usernames) and MentionService.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import { actorOf, batchLoad, loadUsers, withNodes } from './loaders.ts';
import { loadMessagePage, MessageConnection } from './messages.schema.ts';

/** Participants a summary lists at most (a list under every message of a page must stay short). */
const PARTICIPANTS_SHOWN = 10;

/**
 * A list-of-ids column as read. Prisma's driver adapters give an empty text[] back as `{}` (an object, not an empty
 * array) when they read a whole row; rows read by our own statements, and live events, carry arrays.
 */
const idList = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);

interface ThreadSummary {
  replyCount: number;
  lastReplyAt: Date;
  participantIds: string[];
}

const ThreadSummaryRef = builder.objectRef<ThreadSummary>('ThreadSummary').implement({
  description: "A thread's replies at a glance (Message.threadSummary of its root).",
  fields: (t) => ({
    replyCount: t.exposeInt('replyCount', { description: 'Replies in the thread (deleted ones stay, as tombstones).' }),
    lastReplyAt: t.expose('lastReplyAt', { type: 'DateTime', description: 'When the latest reply was sent.' }),
    participants: t.field({
      type: [UserRef],
      description: `Who replied in the thread, first to reply first: the first ${PARTICIPANTS_SHOWN} (deleted accounts left out; \`participantCount\` says how many in all).`,
      resolve: (s, _args, ctx) => loadUsers(ctx, s.participantIds.slice(0, PARTICIPANTS_SHOWN)),
    }),
    participantCount: t.int({
      description: 'How many people replied in the thread.',
      resolve: (s) => s.participantIds.length,
    }),
  }),
});

builder.prismaObjectFields('Message', (t) => ({
  threadRootId: t.exposeID('threadRootId', {
    nullable: true,
    description: "The root of the thread this message replies in; null for a message of the conversation's main history.",
  }),
  threadSummary: t.field({
    type: ThreadSummaryRef,
    nullable: true,
    description: 'On a thread root: how many replies, the latest, and who wrote them; null while it has no replies.',
    select: { replyCount: true, lastReplyAt: true, threadParticipantIds: true },
    resolve: (m) =>
      m.replyCount > 0 && m.lastReplyAt
        ? { replyCount: m.replyCount, lastReplyAt: m.lastReplyAt, participantIds: idList(m.threadParticipantIds) }
        : null,
  }),
  replies: t.field({
    type: MessageConnection,
    description:
      'The thread of this message, oldest first: `first`/`after` forward, `last`/`before` backward (newest with `last`). Empty for a thread reply.',
    select: { conversationId: true, threadRootId: true },
    args: {
      first: t.arg.int({ description: 'Page size reading forward (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor to read forward from.' }),
      last: t.arg.int({ description: 'Page size reading backward (default 20, max 100).' }),
      before: t.arg.string({ description: 'Cursor to read backward from.' }),
    },
    resolve: (m, args, ctx, info) => {
      if (m.threadRootId)
        return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
      return loadMessagePage(ctx, info, m.conversationId, args, actorOf(ctx), m.id);
    },
  }),
  mentions: t.field({
    type: [UserRef],
    description:
      "The members this message mentions, in order of mention: `@username` in its text, resolved when it was sent or edited (names of non-members, and the sender's own, mention nobody).",
    select: { mentionedIds: true },
    resolve: (m, _args, ctx) => loadUsers(ctx, idList(m.mentionedIds)),
  }),
}));

builder.prismaObjectField('Conversation', 'unreadMentionCount', (t) =>
  t.int({
    description: "Unread messages that mention the viewer (after the viewer's read pointer; deleted ones do not count).",
    resolve: async (c, _args, ctx) => {
      const viewerId = requireViewer(ctx).user.id;
      const count = await batchLoad(ctx, 'unreadMentions', c.id, (ids) => ctx.services.messaging.mentions.unreadCounts(viewerId, ids));
      return count ?? 0;
    },
  }),
);

builder.queryField('mentions', (t) =>
  t.field({
    type: MessageConnection,
    authScopes: { signedIn: true },
    description: "Messages that mention the viewer, newest first, across the viewer's conversations.",
    args: {
      first: t.arg.int({ description: 'Page size (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor from a previous page.' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const page = await ctx.services.messaging.mentions.page(actorOf(ctx), args);
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
      return withNodes(page, (ids) => ctx.prisma.message.findMany({ ...query, where: { id: { in: ids } } }));
    },
  }),
);
