// The viewer's mentions: unread mention counts per conversation and the newest-first list of messages that mention
// them, across their conversations. Who a message mentions is decided when it is sent or edited (mentions.ts).
import type { PrismaClient } from '../generated/prisma/client.ts';
import { mentionPage, unreadMentionCounts, type MentionRow } from '../db/sql/mentions.ts';
import type { Actor } from './conversations.service.ts';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page } from './input.ts';

const isMentionCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string';

export class MentionService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Per conversation with any, the unread messages that mention the user. */
  unreadCounts(userId: string, conversationIds: string[]): Promise<Map<string, number>> {
    if (conversationIds.length === 0) return Promise.resolve(new Map());
    return unreadMentionCounts(this.prisma, userId, conversationIds);
  }

  /** A page of the messages that mention the actor, newest first (the nodes are message ids). */
  async page(actor: Actor, args: { first?: number | null; after?: string | null }): Promise<Page<{ id: string }>> {
    const limit = pageSize(args.first, 'first');
    const cursor = decodeCursor('mention', args.after, 'after', isMentionCursor);
    const rows = await mentionPage(this.prisma, {
      tenantId: actor.tenantId,
      userId: actor.userId,
      after: cursor && { at: new Date(cursor[0]), messageId: cursor[1] },
      take: limit + 1,
    });
    const page = toPage<MentionRow>(rows, limit, (r) => encodeCursor('mention', [r.createdAt.toISOString(), r.messageId]), {
      hadCursor: cursor !== null,
    });
    return { pageInfo: page.pageInfo, edges: page.edges.map(({ cursor, node }) => ({ cursor, node: { id: node.messageId } })) };
  }
}

/**
 * Of the usernames a message by `actor` mentions, those of people who do not block the actor: a blocked user's
 * mention of the blocker mentions nobody (one query, only for a message with mentions).
 */
export async function mentionableUsernames(prisma: Pick<PrismaClient, 'user'>, actor: Actor, usernames: string[]): Promise<string[]> {
  if (!usernames.length) return usernames;
  const blockers = await prisma.user.findMany({
    where: { tenantId: actor.tenantId, username: { in: usernames }, blocking: { some: { blockedId: actor.userId } } },
    select: { username: true },
  });
  const hidden = new Set(blockers.map((u) => u.username));
  return usernames.filter((name) => !hidden.has(name));
}
