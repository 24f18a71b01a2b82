// Group invitations: an add to a group that the person's privacy settings did not allow (group-adds.ts) waits as a
// GroupInvitation until they accept it (and join) or decline it. Invitations from people the viewer blocks are not
// listed. An invitation goes with its group, and with the invited account.
import type { Conversation, GroupInvitation, PrismaClient } from '../generated/prisma/client.ts';
import { badInput, notFound } from '../errors.ts';
import type { Actor, ConversationService } from './conversations.service.ts';
import { decodeCursor, encodeCursor, isStringPair, pageSize, toPage, type Page } from './input.ts';

export class InvitationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly conversations: ConversationService,
  ) {}

  /** The viewer's invitations, newest first. */
  async list(actor: Actor, args: { first?: number | null; after?: string | null }): Promise<Page<GroupInvitation>> {
    const limit = pageSize(args.first, 'first');
    const after = decodeCursor('g', args.after, 'after', isStringPair);
    const at = after ? new Date(after[0]) : null;
    if (at && Number.isNaN(at.getTime())) throw badInput('after is not a valid cursor.', 'after');
    // Invitations from people the viewer blocks stay out of sight (there are few blocks per user).
    const blocked = await this.prisma.block.findMany({ where: { blockerId: actor.userId }, select: { blockedId: true } });
    const rows = await this.prisma.groupInvitation.findMany({
      where: {
        userId: actor.userId,
        conversation: { tenantId: actor.tenantId },
        OR: [{ invitedById: null }, { invitedById: { notIn: blocked.map((b) => b.blockedId) } }],
        ...(at && after ? { AND: [{ OR: [{ createdAt: { lt: at } }, { createdAt: at, conversationId: { lt: after[1] } }] }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { conversationId: 'desc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => encodeCursor('g', [r.createdAt.toISOString(), r.conversationId]), { hadCursor: !!after });
  }

  /** Joins the group the viewer was invited to (NOT_FOUND without an invitation); the invitation is used up. */
  async accept(actor: Actor, conversationId: string): Promise<Conversation> {
    await this.requireInvitation(actor, conversationId);
    const conversation = await this.conversations.join(conversationId, actor.userId);
    await this.prisma.groupInvitation.deleteMany({ where: { conversationId, userId: actor.userId } });
    return conversation;
  }

  /** Declines an invitation (NOT_FOUND without one); the group is not told. */
  async decline(actor: Actor, conversationId: string): Promise<void> {
    await this.requireInvitation(actor, conversationId);
    await this.prisma.groupInvitation.deleteMany({ where: { conversationId, userId: actor.userId } });
  }

  /** Per group, the people invited to it and not yet answered: one query for a page of conversations. */
  async pendingFor(conversationIds: string[]): Promise<Map<string, string[]>> {
    const rows = await this.prisma.groupInvitation.findMany({
      where: { conversationId: { in: conversationIds } },
      orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }],
      select: { conversationId: true, userId: true },
    });
    const found = new Map<string, string[]>();
    for (const r of rows) found.set(r.conversationId, [...(found.get(r.conversationId) ?? []), r.userId]);
    return found;
  }

  private async requireInvitation(actor: Actor, conversationId: string) {
    const invitation = await this.prisma.groupInvitation.findFirst({
      where: { conversationId, userId: actor.userId, conversation: { tenantId: actor.tenantId } },
    });
    if (!invitation) throw notFound('Group invitation');
    return invitation;
  }
}
