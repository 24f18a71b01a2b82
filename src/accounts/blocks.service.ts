// Blocks: a user's block of another user of their tenant. A block is never told to the blocked user: what it does
// is applied where each feature reads (accounts/privacy.ts: no longer contacts; messaging: no requests shown, no
// mentions, no group adds, a DIRECT conversation out of the blocker's list and unread counts; presence and typing).
import type { PrismaClient, User } from '../generated/prisma/client.ts';
import { AppError, badInput } from '../errors.ts';

export interface BlockActor {
  tenantId: string;
  userId: string;
}

export class BlockService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Blocks `userId`; blocking someone already blocked changes nothing. Yourself is BAD_USER_INPUT (reason
   * SELF_BLOCK); an id that is no user of the actor's tenant is NOT_FOUND (field userId).
   */
  async block(actor: BlockActor, userId: string): Promise<void> {
    await this.requireOther(actor, userId);
    await this.prisma.block.createMany({ data: [{ blockerId: actor.userId, blockedId: userId }], skipDuplicates: true });
  }

  /** Lifts a block; unblocking someone not blocked changes nothing. The same refusals as block. */
  async unblock(actor: BlockActor, userId: string): Promise<void> {
    await this.requireOther(actor, userId);
    await this.prisma.block.deleteMany({ where: { blockerId: actor.userId, blockedId: userId } });
  }

  /** The users the actor blocks, most recently blocked first. */
  async blocked(actor: BlockActor): Promise<User[]> {
    const rows = await this.prisma.block.findMany({
      where: { blockerId: actor.userId, blocked: { tenantId: actor.tenantId } },
      orderBy: [{ createdAt: 'desc' }, { blockedId: 'asc' }],
      include: { blocked: true },
    });
    return rows.map((r) => r.blocked);
  }

  /** Of `userIds`, those `viewerId` blocks: one query for a page of messages' senders. */
  async blockedAmong(viewerId: string, userIds: string[]): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const rows = await this.prisma.block.findMany({
      where: { blockerId: viewerId, blockedId: { in: userIds } },
      select: { blockedId: true },
    });
    return new Set(rows.map((r) => r.blockedId));
  }

  /** Of `userIds`, those who block `userId`. */
  async blockersAmong(userId: string, userIds: string[]): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const rows = await this.prisma.block.findMany({
      where: { blockedId: userId, blockerId: { in: userIds } },
      select: { blockerId: true },
    });
    return new Set(rows.map((r) => r.blockerId));
  }

  private async requireOther(actor: BlockActor, userId: string) {
    if (userId === actor.userId) throw badInput('You cannot block yourself.', 'userId', 'SELF_BLOCK');
    const user = await this.prisma.user.findFirst({ where: { id: userId, tenantId: actor.tenantId }, select: { id: true } });
    if (!user) throw new AppError('NOT_FOUND', 'User not found.', { field: 'userId' });
  }
}
