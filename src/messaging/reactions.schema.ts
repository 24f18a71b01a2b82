// GraphQL shape of reactions: Message.reactions, addReaction / removeReaction. Rules live in ReactionService.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import { reactionSummaries, type ReactionSummary } from '../db/sql/reactions.ts';
import { actorOf, batchLoad, loadUsers } from './loaders.ts';
import { selected } from './messages.schema.ts';

/** Reactors loaded per emoji with a message's reactions (Reaction.users reads from these). */
const USERS_LOADED = 10;

type Reaction = ReactionSummary & { messageId: string };

const ReactionRef = builder.objectRef<Reaction>('Reaction').implement({
  description: 'One emoji on a message, with everyone who reacted with it.',
  fields: (t) => ({
    emoji: t.exposeString('emoji', { description: 'The emoji.' }),
    count: t.exposeInt('count', { description: 'How many people reacted with it.' }),
    reactedByMe: t.boolean({ description: 'Whether the viewer is one of them.', resolve: (r) => r.mine }),
    users: t.field({
      type: [UserRef],
      description: `Who reacted with it, first to react first (at most ${USERS_LOADED}; \`count\` says how many in all).`,
      args: { first: t.arg.int({ description: `How many (default and at most ${USERS_LOADED}).` }) },
      resolve: (r, args, ctx) => loadUsers(ctx, r.userIds.slice(0, Math.max(0, Math.min(args.first ?? USERS_LOADED, USERS_LOADED)))),
    }),
  }),
});

builder.prismaObjectField('Message', 'reactions', (t) =>
  t.field({
    type: [ReactionRef],
    description: 'Reactions, one per emoji, ordered by the oldest reaction of each (empty for a deleted message).',
    resolve: async (m, _args, ctx) => {
      if (m.deletedAt) return [];
      const viewerId = requireViewer(ctx).user.id;
      const found = await batchLoad(ctx, 'reactions', m.id, (ids) => reactionSummaries(ctx.prisma, viewerId, ids, USERS_LOADED));
      return (found ?? []).map((r) => ({ ...r, messageId: m.id }));
    },
  }),
);

builder.mutationFields((t) => {
  /** addReaction (added) or removeReaction: the same arguments and answer, the reaction added or taken back. */
  const reaction = (added: boolean, description: string, emoji: string) =>
    t.prismaField({
      type: 'Message',
      authScopes: { signedIn: true },
      description,
      args: {
        messageId: t.arg.id({ required: true, description: 'The message.' }),
        emoji: t.arg.string({ required: true, description: emoji }),
      },
      resolve: async (query, _root, args, ctx) =>
        selected(ctx, query, await ctx.services.messaging.reactions.set(actorOf(ctx), String(args.messageId), args.emoji, added)),
    });
  return {
    addReaction: reaction(
      true,
      'Reacts to a message with one emoji (any member; not a deleted message). Adding a reaction you already made changes nothing. ' +
        'A message carries at most 20 different emoji (BAD_USER_INPUT, reason REACTION_LIMIT).',
      'Exactly one emoji, e.g. 👍, 👍🏽, 👩‍💻 or 🇫🇷.',
    ),
    removeReaction: reaction(
      false,
      'Takes back your reaction with this emoji. Taking back one you did not make changes nothing.',
      'The emoji to take back.',
    ),
  };
});
