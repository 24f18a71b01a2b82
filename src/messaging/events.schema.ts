// conversationEvents: the live (and resumable) stream of conversation events, over graphql-ws or SSE.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { badInput } from '../errors.ts';
import type { ConversationEventPayload } from './events.ts';
import { conversationStream } from './stream.ts';
import { actorOf } from './loaders.ts';
import { eventRow } from './event-rows.ts';
import { SHARED_EVENTS } from '../graphql/shared-events.ts';

const ConversationEventTypeRef = builder.enumType('ConversationEventType', {
  description: 'What happened in a conversation.',
  values: {
    MESSAGE_ADDED: { description: 'A message was sent (`message`; its sequence is the event sequence).' },
    MESSAGE_EDITED: { description: 'A message was edited (`message`).' },
    MESSAGE_DELETED: { description: 'A message was deleted (`message` is now a tombstone).' },
    READ: { description: "A member's read pointer moved (`user`, `readUpTo`)." },
    MEMBER_JOINED: { description: 'Someone joined (`user`).' },
    MEMBER_LEFT: { description: 'Someone left or was removed (`user`).' },
    CONVERSATION_UPDATED: { description: 'The title changed (`user` changed it).' },
  } as const,
});

const ConversationEventRef = builder.objectRef<ConversationEventPayload>('ConversationEvent').implement({
  description: 'One entry of a conversation\'s event log. Sequences increase by one per event in each conversation.',
  fields: (t) => ({
    type: t.expose('type', { type: ConversationEventTypeRef, description: 'What happened.' }),
    sequence: t.exposeInt('sequence', { description: 'Position in the conversation; resume with afterSequence = the last one seen.' }),
    conversationId: t.exposeID('conversationId', { description: 'Id of the conversation.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it happened.', resolve: (e) => new Date(e.createdAt) }),
    conversation: t.prismaField({
      type: 'Conversation',
      description: 'The conversation, as it is now.',
      resolve: (query, e, _args, ctx) => eventRow(ctx.prisma, e, 'conversation', query) as never,
    }),
    message: t.prismaField({
      type: 'Message',
      nullable: true,
      description: 'The message concerned (MESSAGE_* events), as it is now.',
      resolve: (query, e, _args, ctx) => eventRow(ctx.prisma, e, 'message', query) as never,
    }),
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'Who did it or whom it concerns (sender, reader, member who joined or left); null if their account is gone.',
      resolve: (query, e, _args, ctx) => eventRow(ctx.prisma, e, 'user', query) as never,
    }),
    member: t.prismaField({
      type: 'ConversationMember',
      nullable: true,
      description: "The membership of `user` in the conversation, as it is now (null once they have left).",
      resolve: (query, e, _args, ctx) => eventRow(ctx.prisma, e, 'member', query) as never,
    }),
    readUpTo: t.exposeInt('readUpTo', { nullable: true, description: 'READ events: the new read pointer (a sequence).' }),
  }),
});

builder.subscriptionFields((t) => ({
  conversationEvents: t.field({
    type: ConversationEventRef,
    authScopes: { signedIn: true },
    description:
      'Events of one conversation, or (without conversationId) of every conversation of the viewer, including ones joined later. ' +
      'With afterSequence, every stored event after it is replayed first, then live events follow with no gap and no duplicate.',
    // One event object reaches every stream of the conversation (fanout.ts), so they may share its execution. The
    // arguments pick the topic and the replay when the subscription starts and each event resolves without them,
    // so subscribers resuming from different sequences share too (shared-events.ts).
    extensions: { [SHARED_EVENTS]: { ignoresArguments: true } },
    args: {
      conversationId: t.arg.id({ description: 'One conversation; omit for the inbox stream.' }),
      afterSequence: t.arg.int({ description: 'Replay events after this sequence first (needs conversationId).' }),
    },
    subscribe: async (_root, args, ctx) => {
      const actor = actorOf(ctx);
      const after = args.afterSequence ?? null;
      if (after !== null && args.conversationId == null) throw badInput('afterSequence needs conversationId.', 'afterSequence');
      let startSequence = 0;
      let conversationId: string | null = null;
      if (args.conversationId != null) {
        const member = await ctx.services.messaging.conversations.requireMember(actor, String(args.conversationId));
        conversationId = member.conversationId;
        startSequence = member.conversation.lastSequence;
        if (after !== null && (after < 0 || after > startSequence)) {
          throw badInput(`afterSequence must be between 0 and ${startSequence}.`, 'afterSequence');
        }
      }
      return conversationStream({
        prisma: ctx.prisma,
        pubsub: ctx.services.pubsub,
        viewerId: requireViewer(ctx).user.id,
        conversationId,
        afterSequence: after,
        startSequence,
        onError: (err) => ctx.services.logger.error('conversation stream failed', { error: err }),
      });
    },
    resolve: (event) => event,
  }),
}));
