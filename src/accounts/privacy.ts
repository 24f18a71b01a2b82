// Who may see whose contact details and presence: the user themself and people who share a conversation.
// Answers are cached per request (one query per viewer and request, not per field).
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Context } from '../graphql/context.ts';

export class Privacy {
  private perRequest = new WeakMap<object, Promise<Set<string>>>();
  constructor(private readonly prisma: PrismaClient) {}

  /** Ids of every user who shares at least one conversation with the viewer. */
  contactsOf(ctx: Context): Promise<Set<string>> {
    const viewer = ctx.viewer?.user.id;
    if (!viewer) return Promise.resolve(new Set());
    let found = this.perRequest.get(ctx);
    if (!found) {
      found = this.prisma.conversationMember
        .findMany({
          where: { conversation: { members: { some: { userId: viewer } } } },
          select: { userId: true },
          distinct: ['userId'],
        })
        .then((rows) => new Set(rows.map((r) => r.userId)));
      this.perRequest.set(ctx, found);
    }
    return found;
  }

  async sharesConversation(ctx: Context, userId: string): Promise<boolean> {
    if (!ctx.viewer) return false;
    return (await this.contactsOf(ctx)).has(userId);
  }
}
