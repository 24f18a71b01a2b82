// Who may see whose contact details and presence, and who may add whom to a group.
//
// Accepted contacts: two users of one tenant who share a DIRECT conversation that neither of them has pending as a
// message request (ConversationMember.requestedAt is null for both), and neither of whom blocks the other. Groups
// never make contacts: anyone may be added to a group by a stranger (or be invited, and accept, to see who is in
// it), so a shared group would let a stranger read everyone's addresses and presence by creating a group with the
// whole directory. Contacts see each other's email, phone number and presence; everyone else sees names and
// usernames only. Answers for a request's viewer are cached per request (one query per viewer and request).
import type { GroupAddPolicy, Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { Context } from '../graphql/context.ts';

/**
 * The memberships (ConversationMember rows) of a user's accepted contacts: each row's userId is a contact of
 * `viewerId`. Blocks count either way.
 */
export const contactMemberships = (viewerId: string, tenantId: string): Prisma.ConversationMemberWhereInput => ({
  userId: { not: viewerId },
  requestedAt: null,
  conversation: { tenantId, kind: 'DIRECT', members: { some: { userId: viewerId, requestedAt: null } } },
  user: { blocking: { none: { blockedId: viewerId } }, blockedBy: { none: { blockerId: viewerId } } },
});

export class Privacy {
  private perRequest = new WeakMap<object, Promise<Set<string>>>();
  constructor(
    private readonly prisma: PrismaClient,
    /** Told after a user's row changes, so cached viewers are dropped everywhere. */
    private readonly userChanged: (user: { id: string; tenantId: string }) => void = () => {},
  ) {}

  /** The ids among `ids` (or all of them, when null) of the viewer's accepted contacts. */
  async contactsAmong(viewer: { id: string; tenantId: string }, ids: string[] | null): Promise<Set<string>> {
    if (ids && ids.length === 0) return new Set();
    const rows = await this.prisma.conversationMember.findMany({
      where: { ...contactMemberships(viewer.id, viewer.tenantId), ...(ids ? { userId: { in: ids, not: viewer.id } } : {}) },
      select: { userId: true },
      distinct: ['userId'],
    });
    return new Set(rows.map((r) => r.userId));
  }

  /** Ids of the viewer's accepted contacts (see the top of this file), once per request. */
  contactsOf(ctx: Context): Promise<Set<string>> {
    const viewer = ctx.viewer?.user;
    if (!viewer) return Promise.resolve(new Set());
    let found = this.perRequest.get(ctx);
    if (!found) {
      found = this.contactsAmong(viewer, null);
      this.perRequest.set(ctx, found);
    }
    return found;
  }

  /** Whether `userId` is one of the viewer's accepted contacts. */
  async isContact(ctx: Context, userId: string): Promise<boolean> {
    if (!ctx.viewer) return false;
    return (await this.contactsOf(ctx)).has(userId);
  }

  /** Who may add the user to a group (see updatePrivacySettings). */
  async groupAdds(userId: string): Promise<GroupAddPolicy> {
    const user = await this.prisma.user.findUnique({ where: { id: userId }, select: { groupAdds: true } });
    return user?.groupAdds ?? 'EVERYONE';
  }

  async setGroupAdds(userId: string, groupAdds: GroupAddPolicy): Promise<void> {
    const user = await this.prisma.user.update({ where: { id: userId }, data: { groupAdds } });
    this.userChanged(user);
  }
}
