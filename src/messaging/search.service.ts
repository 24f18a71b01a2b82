// Full-text search over the viewer's conversations, message statistics, and finding people to talk to.
// Search uses the generated tsvector column (GIN index) with websearch_to_tsquery: words, "phrases", -exclusions.
import type { Message, PrismaClient, User } from '../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import type { Actor } from './conversations.service.ts';
import { decodeCursor, encodeCursor, isOffset, isStringPair, pageSize, toPage } from './input.ts';
import { searchMessages } from '../db/sql/search.ts';
import { messagesPerDay, messageTotals } from '../db/sql/stats.ts';
import { contactMemberships } from '../accounts/privacy.ts';

export interface SearchHit {
  messageId: string;
  rank: number;
  /** Up to two fragments of the content, HTML-escaped, matches in <mark>: safe to render as HTML. */
  snippet: string;
  /** The message's row (every scalar column, as Prisma returns them), read by the search query itself. */
  message: Message;
}

/**
 * A search query PostgreSQL's websearch_to_tsquery always accepts, or BAD_USER_INPUT. It refuses a chain of more
 * than 32 negations with no word between them ("tsquery stack too small"): "-" in a run of other characters that
 * are not letters or digits (spaces, "!", "(", "|", "&", "<") is a negation each, so every such run keeps only its
 * first "-" (a double negation means nothing anyway). A query without a letter or digit could match nothing, since
 * only words are indexed.
 */
function websearchQuery(raw: string): string {
  const query = raw.trim();
  if (query.length === 0 || query.length > 200) throw badInput('A search query is 1 to 200 characters.', 'query');
  if (!/[\p{L}\p{N}]/u.test(query)) throw badInput('A search query needs a word to look for (letters or digits).', 'query');
  return query.replace(/[^\p{L}\p{N}]+/gu, (run) => {
    let negated = false;
    return run.replace(/-/g, () => (negated ? ' ' : ((negated = true), '-')));
  });
}

export class SearchService {
  constructor(private readonly prisma: PrismaClient) {}

  async searchMessages(
    actor: Actor,
    args: { query: string; conversationId?: string | null; first?: number | null; after?: string | null },
  ) {
    const query = websearchQuery(args.query);
    const limit = pageSize(args.first, 'first');
    const offset = decodeCursor('s', args.after, 'after', isOffset) ?? 0;
    const rows = await searchMessages(this.prisma, {
      query,
      tenantId: actor.tenantId,
      userId: actor.userId,
      conversationId: args.conversationId,
      take: limit + 1,
      offset,
    });
    const hits: (SearchHit & { offset: number })[] = rows.map(({ message, rank, snippet }, i) => ({
      messageId: message.id,
      rank,
      snippet,
      message,
      offset: offset + i + 1,
    }));
    return toPage(hits, limit, (h) => encodeCursor('s', h.offset), { hadCursor: offset > 0 });
  }

  async stats(actor: Actor) {
    const { userId, tenantId } = actor;
    const since = new Date(Date.now() - 29 * 86_400_000);
    since.setUTCHours(0, 0, 0, 0);
    const totals = await messageTotals(this.prisma, tenantId, userId);
    const perDay = await messagesPerDay(this.prisma, userId, since);
    return { ...totals, perDay };
  }

  /**
   * People in the tenant by name or username prefix, or by exact email. Email is matched only whole (a prefix search
   * would let anyone reconstruct addresses) and only among the viewer's accepted contacts, who may see it anyway (see
   * accounts/privacy.ts): otherwise anyone could test address after address for an account and learn its owner's name.
   */
  async users(actor: Actor, args: { search?: string | null; first?: number | null; after?: string | null }) {
    const limit = pageSize(args.first, 'first');
    const after = decodeCursor('u', args.after, 'after', isStringPair);
    const search = args.search?.trim() ?? '';
    if (search.length > 100) throw badInput('search is at most 100 characters.', 'search');
    const prefix = likeLiteral(search);
    const rows: User[] = await this.prisma.user.findMany({
      where: {
        tenantId: actor.tenantId,
        id: { not: actor.userId },
        ...(search
          ? {
              OR: [
                { name: { startsWith: prefix, mode: 'insensitive' } },
                { username: { startsWith: prefix.toLowerCase().replace(/^@/, '') } },
                { email: search.toLowerCase(), memberships: { some: contactMemberships(actor.userId, actor.tenantId) } },
              ],
            }
          : {}),
        ...(after ? { AND: [{ OR: [{ name: { gt: after[0] } }, { name: after[0], id: { gt: after[1] } }] }] } : {}),
      },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    return toPage(rows, limit, (u) => encodeCursor('u', [u.name, u.id]), { hadCursor: !!after });
  }
}

/** `text` for Prisma's startsWith/contains, which put it into LIKE as is: \, % and _ escaped so they match themselves. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
