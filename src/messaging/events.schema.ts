// conversationEvents: the live (and resumable) stream of conversation events, over graphql-ws or SSE.
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { builder } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import { badInput } from '../errors.ts';
import type { ConversationEventPayload, MessageDelta } from './events.ts';
import { conversationStream } from './conversation-stream.ts';
import { attachInbox, inboxCursorOf, openInbox } from './inbox-subscription.ts';
import { actorOf } from './loaders.ts';
import { SHARED_EVENTS, type SharedEventsExtension } from '../graphql/shared-events.ts';

/** An event's name within a group of subscribers (shared-events.ts): the same on every topic it reaches. */
// A live MESSAGE_ADDED of a STREAMING message (its carried row says so) is named apart: its result holds the text as
// it was then, and a subscriber replaying that event later (no rows) must execute it afresh for the text so far.
const sharedEventKey = (event: ConversationEventPayload) =>
  event.delta
    ? `${event.conversationId}:${event.sequence}:${event.delta.messageId}:${event.delta.index}`
    : event.rows?.message?.status === 'STREAMING'
      ? `${event.conversationId}:${event.sequence}:streaming`
      : `${event.conversationId}:${event.sequence}`;

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
    MESSAGE_PINNED: { description: 'A message was pinned (`message`; `user` pinned it).' },
    MESSAGE_UNPINNED: { description: 'A message was unpinned (`message`; `user` unpinned it).' },
    REACTION_ADDED: { description: 'Someone reacted to a message (`message`, `user`, `reaction`).' },
    REACTION_REMOVED: { description: 'Someone took their reaction back (`message`, `user`, `reaction`).' },
    MESSAGE_DELTA: {
      description:
        "A piece of an assistant's answer while it streams (`delta`; `message` and `user` are null). Not stored: it follows the answer's MESSAGE_ADDED (whose sequence it carries) on live streams only; MESSAGE_COMPLETED carries the whole text.",
    },
    MESSAGE_COMPLETED: {
      description: "An assistant's answer ended (`message`, its content final; `message.status` says COMPLETE, STOPPED or FAILED).",
    },
  } as const,
});

const EventReactionRef = builder.objectRef<{ emoji: string }>('EventReaction').implement({
  description: 'The reaction a REACTION_ADDED or REACTION_REMOVED event is about.',
  fields: (t) => ({ emoji: t.exposeString('emoji', { description: 'The emoji.' }) }),
});

const MessageDeltaRef = builder.objectRef<MessageDelta>('MessageDelta').implement({
  description:
    "A piece of a STREAMING message. Append `text` to the message's content in `index` order; skip a piece whose index is below the message's `streamedDeltas` (already in the content you have).",
  fields: (t) => ({
    messageId: t.exposeID('messageId', { description: 'The streaming message.' }),
    index: t.exposeInt('index', { description: 'Its place among the pieces of this message: 0, 1, 2, ...' }),
    text: t.exposeString('text', { description: 'Text to append.' }),
  }),
});

const ConversationEventRef = builder.objectRef<ConversationEventPayload>('ConversationEvent').implement({
  description: "One entry of a conversation's event log. Sequences increase by one per event in each conversation.",
  fields: (t) => ({
    type: t.expose('type', { type: ConversationEventTypeRef, description: 'What happened.' }),
    sequence: t.exposeInt('sequence', {
      description: "Position in the conversation; resume one conversation's stream with afterSequence = the last one seen.",
    }),
    cursor: t.string({
      nullable: true,
      description:
        "Inbox stream only (null on one conversation's stream): pass it as `afterCursor` to resume the inbox right after this event. " +
        'Opaque and short (usually under 200 characters), valid only for the viewer who received it; keep the one of the last event handled. ' +
        'Selecting it makes the server execute each event for this subscriber alone.',
      resolve: (e, _args, ctx) => inboxCursorOf(ctx, e),
    }),
    conversationId: t.exposeID('conversationId', { description: 'Id of the conversation.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it happened.', resolve: (e) => new Date(e.createdAt) }),
    conversation: t.prismaField({
      type: 'Conversation',
      description: 'The conversation, as it is now.',
      resolve: (query, e, _args, ctx) => ctx.services.eventTopics.rows.row(ctx.prisma, e, 'conversation', query) as never,
    }),
    message: t.prismaField({
      type: 'Message',
      nullable: true,
      description: 'The message concerned (MESSAGE_* events), as it is now.',
      resolve: (query, e, _args, ctx) => ctx.services.eventTopics.rows.row(ctx.prisma, e, 'message', query) as never,
    }),
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'Who did it or whom it concerns (sender, reader, member who joined or left); null if their account is gone.',
      resolve: (query, e, _args, ctx) => ctx.services.eventTopics.rows.row(ctx.prisma, e, 'user', query) as never,
    }),
    member: t.prismaField({
      type: 'ConversationMember',
      nullable: true,
      description: 'The membership of `user` in the conversation, as it is now (null once they have left).',
      resolve: (query, e, _args, ctx) => ctx.services.eventTopics.rows.row(ctx.prisma, e, 'member', query) as never,
    }),
    delta: t.field({
      type: MessageDeltaRef,
      nullable: true,
      description: 'MESSAGE_DELTA: the piece of the streaming message (null for other events).',
      resolve: (e) => e.delta ?? null,
    }),
    readUpTo: t.exposeInt('readUpTo', { nullable: true, description: 'READ events: the new read pointer (a sequence).' }),
    reaction: t.field({
      type: EventReactionRef,
      nullable: true,
      description: 'REACTION_ADDED / REACTION_REMOVED: the reaction added or taken back (null for other events).',
      resolve: (e) => (e.emoji ? { emoji: e.emoji } : null),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  conversationEvents: t.field({
    type: ConversationEventRef,
    authScopes: { signedIn: true },
    description:
      'Events of one conversation, or (without conversationId) the inbox: every conversation of the viewer, including ones joined later ' +
      '(from their own MEMBER_JOINED) and ones left (up to their own MEMBER_LEFT). ' +
      'To resume one conversation pass afterSequence; to resume the inbox pass afterCursor (the `cursor` of the last event handled). ' +
      'Every stored event missed since is replayed first, in order within each conversation, then live events follow with no gap and no duplicate.',
    // An event reaches every stream of the conversation (fanout.ts), so they may share its execution; it is named
    // by conversation and sequence (the same event on the inbox topics has the same name). The arguments pick the topic and the replay when the subscription starts and each event resolves without them,
    // so subscribers resuming from different sequences share too (shared-events.ts). `cursor` is each inbox
    // subscriber's own: selecting it reads the context, which makes executions personal.
    extensions: { [SHARED_EVENTS]: { ignoresArguments: true, eventKey: sharedEventKey } satisfies SharedEventsExtension },
    args: {
      conversationId: t.arg.id({ description: 'One conversation; omit for the inbox stream.' }),
      afterSequence: t.arg.int({ description: "Replay the conversation's events after this sequence first (needs conversationId)." }),
      afterCursor: t.arg.string({
        description:
          'Inbox stream only (no conversationId): resume right after the event whose `cursor` this is. Whatever happened since, however ' +
          'long ago, is replayed once: messages and other events in every conversation, conversations joined meanwhile (from the ' +
          'MEMBER_JOINED), conversations left or removed from (up to and including the MEMBER_LEFT, nothing after). A cursor that is ' +
          'malformed, belongs to another viewer or was signed with another AUTH_SECRET is BAD_USER_INPUT with reason INVALID_CURSOR: ' +
          'load the conversation list again and subscribe without it.',
      }),
    },
    subscribe: async (_root, args, ctx, info) => {
      const actor = actorOf(ctx);
      const after = args.afterSequence ?? null;
      if (args.conversationId == null) {
        if (after !== null) throw badInput('afterSequence needs conversationId (the inbox resumes with afterCursor).', 'afterSequence');
        return subscribeInbox(ctx, args.afterCursor ?? null, info);
      }
      if (args.afterCursor != null)
        throw badInput(
          'afterCursor resumes the inbox: leave out conversationId (one conversation resumes with afterSequence).',
          'afterCursor',
        );
      const member = await ctx.services.messaging.conversations.requireMember(actor, String(args.conversationId));
      const startSequence = member.conversation.lastSequence;
      if (after !== null && (after < 0 || after > startSequence)) {
        throw badInput(`afterSequence must be between 0 and ${startSequence}.`, 'afterSequence');
      }
      return conversationStream({
        prisma: ctx.prisma,
        topics: ctx.services.eventTopics,
        viewerId: actor.userId,
        conversationId: member.conversationId,
        // Nothing from before what the member may read (a group whose history shows from joining on).
        afterSequence: after === null ? null : Math.max(after, member.visibleFrom - 1),
        startSequence,
        onError: (err) => ctx.services.logger.error('conversation stream failed', { error: err }),
      });
    },
    resolve: (event) => event,
  }),
}));

/** The inbox stream, from now or resumed after a cursor (checked before anything is streamed). */
async function subscribeInbox(ctx: Context, afterCursor: string | null, info: GraphQLResolveInfo) {
  const stream = await openInbox({
    prisma: ctx.prisma,
    topics: ctx.services.eventTopics,
    viewerId: requireViewer(ctx).user.id,
    secret: ctx.services.config.authSecret,
    tenantId: ctx.tenant.id,
    afterCursor,
    withCursors: selects(info.fieldNodes[0].selectionSet, info, 'cursor'),
    onError: (err) => ctx.services.logger.error('inbox stream failed', { error: err }),
  });
  attachInbox(ctx, stream);
  return stream;
}

/** Whether a selection asks for `field` (directly, or in a fragment). */
function selects(set: SelectionSetNode | undefined, info: GraphQLResolveInfo, field: string): boolean {
  return (set?.selections ?? []).some((s) =>
    s.kind === Kind.FIELD
      ? s.name.value === field
      : s.kind === Kind.INLINE_FRAGMENT
        ? selects(s.selectionSet, info, field)
        : selects(info.fragments[s.name.value]?.selectionSet, info, field),
  );
}
