// GraphQL shape of the tenant's content filter: contentFilter (moderators and admins) and setContentFilter (admins).
// Rules live in ContentFilters and filter-patterns.ts.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { requireRole } from './moderation.service.ts';
import { MAX_PATTERNS, MAX_PATTERN_LENGTH, MAX_REGEX_PATTERNS } from './filter-patterns.ts';

const ContentFilterActionRef = builder.enumType('ContentFilterAction', {
  description: 'What happens to a text a content filter pattern matches.',
  values: {
    REJECT: { description: 'The text is refused: CONTENT_BLOCKED, with the field.' },
    MASK: { description: 'Each match is stored as asterisks (one per character).' },
    FLAG: { description: 'The text is stored as written and a report (reason OTHER, no reporter) goes to the moderators.' },
  } as const,
});

builder.prismaObject('ContentFilter', {
  description: "The tenant's content filter, applied to message content (sent and edited), display names, group titles and status text.",
  fields: (t) => ({
    patterns: t.exposeStringList('patterns', {
      description: 'Plain words (matched case-insensitively, as whole words) and regular expressions written /.../ (case-insensitive).',
    }),
    action: t.expose('action', { type: ContentFilterActionRef, description: 'What happens to a text that matches.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last saved.' }),
    updatedBy: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'The admin who saved it last.',
      resolve: (query, f, _args, ctx) => (f.updatedById ? ctx.prisma.user.findUnique({ ...query, where: { id: f.updatedById } }) : null),
    }),
  }),
});

builder.queryFields((t) => ({
  contentFilter: t.prismaField({
    type: 'ContentFilter',
    nullable: true,
    authScopes: { moderator: true },
    description: "The tenant's content filter, or null when none was saved. Moderators and admins only.",
    resolve: (_query, _root, _args, ctx) => ctx.services.moderation.filters.get(requireViewer(ctx).user.tenantId),
  }),
}));

builder.mutationFields((t) => ({
  setContentFilter: t.prismaField({
    type: 'ContentFilter',
    authScopes: { admin: true },
    description: `Saves the tenant's content filter (admins only); an empty list turns it off. At most ${MAX_PATTERNS} patterns of ${MAX_PATTERN_LENGTH} characters, ${MAX_REGEX_PATTERNS} of them regular expressions. A regular expression may not use backreferences or lookarounds, repeat a group that holds a repetition or an alternation, or repeat too much (BAD_USER_INPUT, reason UNSAFE_PATTERN), so no text can make it run long.`,
    args: {
      patterns: t.arg.stringList({ required: true, description: 'Words, and regular expressions written /.../.' }),
      action: t.arg({ type: ContentFilterActionRef, required: true, description: 'What happens to a text that matches.' }),
    },
    resolve: (_query, _root, args, ctx) => {
      const viewer = requireRole(requireViewer(ctx), 'ADMIN');
      return ctx.services.moderation.filters.set({ tenantId: viewer.user.tenantId, userId: viewer.user.id }, args.patterns, args.action);
    },
  }),
}));
