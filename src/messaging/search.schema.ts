// GraphQL shape of search and statistics: searchMessages (hits with snippets, best first) and messageStats.
import type { GraphQLResolveInfo } from 'graphql';
import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../graphql/builder.ts';
import type { Context } from '../graphql/context.ts';
import { actorOf, withRows } from './loaders.ts';
import { MessageRef } from './messages.schema.ts';
import type { Page } from './input.ts';
import type { SearchHit } from './search.service.ts';

/**
 * Search hits with their messages loaded for the GraphQL selection. The search query already read each message's
 * row, which answers a selection of the message's own fields; relations (sender, edits, ...) are loaded for the
 * whole page in one query.
 */
async function withSearchedMessages(ctx: Context, info: GraphQLResolveInfo, page: Page<SearchHit>): Promise<Page<SearchHit>> {
  const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node', 'message'] });
  if (Object.keys(query).length === 0) return page;
  return withRows(
    page,
    (hit) => hit.messageId,
    (ids) => ctx.prisma.message.findMany({ ...query, where: { id: { in: ids } } }),
    (hit, message) => ({ ...hit, message }),
  );
}

const MessageSearchHitRef = builder.objectRef<SearchHit>('MessageSearchHit').implement({
  description: 'A message that matches a search.',
  fields: (t) => ({
    message: t.field({ type: MessageRef, description: 'The matching message.', resolve: (hit) => hit.message }),
    snippet: t.exposeString('snippet', { description: 'An HTML-escaped excerpt with the matched words in <mark>…</mark>.' }),
    rank: t.exposeFloat('rank', { description: 'Relevance (higher is better); results come best first.' }),
  }),
});

const MessageSearchConnection = builder.connectionObject(
  {
    type: MessageSearchHitRef,
    name: 'MessageSearchConnection',
    description: 'A page of search hits, best first.',
  },
  { description: 'A search hit and its cursor.' },
);

const MessageStatsDayRef = builder.objectRef<{ date: string; sent: number; received: number }>('MessageStatsDay').implement({
  description: "One UTC day of the viewer's messaging.",
  fields: (t) => ({
    date: t.exposeString('date', { description: 'The day, YYYY-MM-DD (UTC).' }),
    sent: t.exposeInt('sent', { description: 'Messages the viewer sent that day.' }),
    received: t.exposeInt('received', { description: "Messages others sent that day in the viewer's conversations." }),
  }),
});

const MessageStatsRef = builder
  .objectRef<{
    sent: number;
    received: number;
    unread: number;
    conversations: number;
    perDay: { date: string; sent: number; received: number }[];
  }>('MessageStats')
  .implement({
    description: "The viewer's messaging statistics (deleted messages excluded).",
    fields: (t) => ({
      sent: t.exposeInt('sent', { description: 'Messages the viewer sent.' }),
      received: t.exposeInt('received', { description: "Messages others sent in the viewer's conversations." }),
      unread: t.exposeInt('unread', { description: 'Unread messages across all conversations.' }),
      conversations: t.exposeInt('conversations', { description: 'Conversations the viewer is in.' }),
      perDay: t.field({ type: [MessageStatsDayRef], description: 'The last 30 days, oldest first.', resolve: (s) => s.perDay }),
    }),
  });

builder.queryFields((t) => ({
  searchMessages: t.field({
    type: MessageSearchConnection,
    authScopes: { signedIn: true },
    description: 'Full-text search of the viewer\'s conversations: words, "phrases", -exclusions (websearch syntax), best first.',
    args: {
      query: t.arg.string({ required: true, description: 'What to look for, e.g. `lunch "next friday" -pizza`.' }),
      conversationId: t.arg.id({ description: 'Search only this conversation.' }),
      first: t.arg.int({ description: 'Page size (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor from a previous page.' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const actor = actorOf(ctx);
      if (args.conversationId) await ctx.services.messaging.conversations.requireMember(actor, String(args.conversationId));
      const page = await ctx.services.messaging.search.searchMessages(actor, {
        ...args,
        conversationId: args.conversationId == null ? null : String(args.conversationId),
      });
      return withSearchedMessages(ctx, info, page);
    },
  }),
  messageStats: t.field({
    type: MessageStatsRef,
    authScopes: { signedIn: true },
    description: "The viewer's messaging statistics.",
    resolve: (_root, _args, ctx) => ctx.services.messaging.search.stats(actorOf(ctx)),
  }),
}));
