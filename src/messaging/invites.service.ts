// Invite links: a group's owners and admins make links whose code lets anyone of the tenant join (joinByInvite),
// until the link expires, is used up or is revoked. The code is the secret; links are listed only to those who may
// manage them.
import { randomBytes } from 'node:crypto';
import type { Conversation, InviteLink, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import type { Actor, ConversationService } from './conversations.service.ts';
import type { GroupService } from './groups.service.ts';

/** Live (unrevoked, unexpired) links a group may have at once. */
export const MAX_LIVE_LINKS = 50;
export const MAX_LINK_USES = 100_000;
/** The longest a link may live. */
export const MAX_LINK_DAYS = 365;

const refused = (reason: string, message: string) => badInput(message, 'code', reason);

export class InviteService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly conversations: ConversationService,
    private readonly groups: GroupService,
  ) {}

  async create(actor: Actor, conversationId: string, opts: { expiresAt?: Date | null; maxUses?: number | null }): Promise<InviteLink> {
    await this.conversations.requireGroupPermission(actor, conversationId, 'manageInvites');
    const now = Date.now();
    if (opts.expiresAt && (opts.expiresAt.getTime() <= now || opts.expiresAt.getTime() > now + MAX_LINK_DAYS * 86_400_000))
      throw badInput(`expiresAt must be in the future and within ${MAX_LINK_DAYS} days.`, 'expiresAt');
    if (opts.maxUses != null && (!Number.isInteger(opts.maxUses) || opts.maxUses < 1 || opts.maxUses > MAX_LINK_USES))
      throw badInput(`maxUses must be between 1 and ${MAX_LINK_USES}.`, 'maxUses');
    const live = await this.prisma.inviteLink.count({
      where: { conversationId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date(now) } }] },
    });
    if (live >= MAX_LIVE_LINKS)
      throw badInput(`A group has at most ${MAX_LIVE_LINKS} live invite links; revoke one first.`, 'conversationId', 'LINK_LIMIT');
    return this.prisma.inviteLink.create({
      data: {
        tenantId: actor.tenantId,
        conversationId,
        code: randomBytes(18).toString('base64url'),
        createdById: actor.userId,
        expiresAt: opts.expiresAt ?? null,
        maxUses: opts.maxUses ?? null,
      },
    });
  }

  /** Revokes a link of a group the actor manages; revoking again changes nothing. */
  async revoke(actor: Actor, id: string): Promise<InviteLink> {
    const link = await this.prisma.inviteLink.findFirst({ where: { id, tenantId: actor.tenantId } });
    if (!link) throw notFound('Invite link');
    await this.conversations.requireGroupPermission(actor, link.conversationId, 'manageInvites').catch((err) => {
      throw err instanceof AppError && err.code === 'FORBIDDEN' ? err : notFound('Invite link');
    });
    if (link.revokedAt) return link;
    return this.prisma.inviteLink.update({ where: { id }, data: { revokedAt: new Date() } });
  }

  /** The group's links, newest first, for those who may manage them (an empty list for anyone else). */
  async list(actor: Actor, conversationId: string): Promise<InviteLink[]> {
    const manager = await this.conversations.requireGroupPermission(actor, conversationId, 'manageInvites').catch(() => null);
    if (!manager) return [];
    return this.prisma.inviteLink.findMany({ where: { conversationId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 100 });
  }

  /**
   * Joins the group of a link of the actor's tenant. An unknown code, or another tenant's, is NOT_FOUND; a revoked,
   * expired or used-up link says so (BAD_USER_INPUT, reason INVITE_REVOKED, INVITE_EXPIRED or INVITE_USED_UP). A
   * member already gets the group, and takes no use of the link.
   */
  async join(actor: Actor, rawCode: string): Promise<Conversation> {
    const code = rawCode.trim();
    const link = /^[\w-]{1,64}$/.test(code) ? await this.prisma.inviteLink.findUnique({ where: { code } }) : null;
    if (!link || link.tenantId !== actor.tenantId) throw new AppError('NOT_FOUND', 'No invite link has this code.', { field: 'code' });
    const check = (l: InviteLink) => {
      if (l.revokedAt) throw refused('INVITE_REVOKED', 'This invite link was revoked.');
      if (l.expiresAt && l.expiresAt <= new Date()) throw refused('INVITE_EXPIRED', 'This invite link has expired.');
      if (l.maxUses !== null && l.uses >= l.maxUses) throw refused('INVITE_USED_UP', 'This invite link has been used up.');
    };
    check(link);
    return this.groups.join(actor, link.conversationId, {
      admit: async (tx) => {
        // Taken under the conversation lock, so two joins cannot both take a link's last use.
        const current = await tx.inviteLink.findUniqueOrThrow({ where: { id: link.id } });
        check(current);
        await tx.inviteLink.update({ where: { id: link.id }, data: { uses: { increment: 1 } } });
      },
    });
  }
}
