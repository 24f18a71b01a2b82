// GraphQL shape of privacy settings: User.privacy (the viewer's own) and updatePrivacySettings. Who sees whose contact
// details and presence is accounts/privacy.ts.
import type { GroupAddPolicy } from '../generated/prisma/client.ts';
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';

const GroupAddPolicyRef = builder.enumType('GroupAddPolicy', {
  description: 'Who may add a user to a group. Anyone else who tries invites them instead (groupInvitations).',
  values: {
    EVERYONE: { description: 'Anyone of the tenant (the default).' },
    CONTACTS: { description: 'Accepted contacts only: people the user shares an accepted DIRECT conversation with.' },
    NOBODY: { description: 'No one: every add is an invitation.' },
  } as const,
});

const PrivacySettingsRef = builder.objectRef<{ groupAdds: GroupAddPolicy }>('PrivacySettings').implement({
  description: "The viewer's privacy settings.",
  fields: (t) => ({
    groupAdds: t.field({
      type: GroupAddPolicyRef,
      description: 'Who may add the viewer to a group; anyone else who tries invites them instead.',
      resolve: (s) => s.groupAdds,
    }),
  }),
});

builder.prismaObjectField('User', 'privacy', (t) =>
  t.field({
    type: PrivacySettingsRef,
    nullable: true,
    description: "The user's privacy settings: shown to the user themself only (null for anyone else).",
    resolve: async (user, _args, ctx) =>
      ctx.viewer?.user.id === user.id ? { groupAdds: await ctx.services.privacy.groupAdds(user.id) } : null,
  }),
);

builder.mutationFields((t) => ({
  updatePrivacySettings: t.prismaField({
    type: 'User',
    authScopes: { signedIn: true },
    description:
      "Changes the viewer's privacy settings; a setting left out stays as it is. Returns the viewer (read `privacy { groupAdds }`).",
    args: {
      groupAdds: t.arg({
        type: GroupAddPolicyRef,
        description: 'Who may add you to a group (EVERYONE, CONTACTS or NOBODY); anyone else invites you instead.',
      }),
    },
    resolve: async (query, _root, { groupAdds }, ctx) => {
      const viewer = requireViewer(ctx);
      if (groupAdds) await ctx.services.privacy.setGroupAdds(viewer.user.id, groupAdds);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: viewer.user.id } });
    },
  }),
}));
