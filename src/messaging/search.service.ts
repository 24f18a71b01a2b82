// Full-text search over the viewer's conversations, message statistics, and finding people to talk to.
// Search uses the generated tsvector column (GIN index) with websearch_to_tsquery: words, "phrases", -exclusions.
import type { Message, PrismaClient, User } from '../generated/prisma/client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import type { Actor } from './conversations.service.ts';
import { decodeCursor, encodeCursor, isOffset, isStringPair, pageSize, toPage } from './input.ts';
import { selectList } from '../db/rows.ts';

export interface SearchHit {
  messageId: string;
  rank: number;
  snippet: string;
  /** The message's row (every scalar column, as Prisma returns them), read by the search query itself. */
  message: Message;
}

// The content is HTML-escaped before ts_headline (which would otherwise drop anything that looks like a tag; the
// entities it leaves alone), and matches are marked with characters a message can never contain (control characters
// are rejected), turned into <mark> afterwards: the snippet is safe to render as HTML, in text and in attributes.
const START = '\u0001';
const STOP = '\u0002';
// Every character HTML gives a meaning to; `&` first, so the entities of the others are not escaped again.
const HTML_ESCAPES: [string, string][] = [['&', '&amp;'], ['<', '&lt;'], ['>', '&gt;'], ['"', '&quot;'], ["'", '&#39;']];
const escapedHtml = (text: Prisma.Sql) => HTML_ESCAPES.reduce((sql, [char, entity]) => Prisma.sql`replace(${sql}, ${char}, ${entity})`, text);

// Every scalar column of Message (the generated tsvector is not one): a hit carries its message's row, so a
// selection of the message's own fields needs no second query.
const MESSAGE_COLUMNS = Object.values(Prisma.MessageScalarFieldEnum);
const columnsOf = (alias: string) => Prisma.raw(selectList(MESSAGE_COLUMNS, alias));

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

  async searchMessages(actor: Actor, args: { query: string; conversationId?: string | null; first?: number | null; after?: string | null }) {
    const query = websearchQuery(args.query);
    const limit = pageSize(args.first, 'first');
    const offset = decodeCursor('s', args.after, 'after', isOffset) ?? 0;
    const inConversation = args.conversationId ? Prisma.sql`AND m."conversationId" = ${args.conversationId}` : Prisma.empty;
    const options = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`;
    // Rank every match, keep the page, and only then build snippets: ts_headline re-parses the whole text, so it
    // runs for the page's rows, not for every match (the difference between milliseconds and seconds for a
    // common word in a large history). Ranking reads each match's row for its tsvector; the sort carries only
    // what orders the page and the row's address (ctid), and the page's rows are then read back by address
    // (a TID scan within the same statement, so the same row versions). The GIN index has no pending list to
    // scan (see the search_index_without_pending_list migration).
    const rows = await this.prisma.$queryRaw<(Message & { rank: number; snippet: string })[]>`
      SELECT ${columnsOf('m')}, p.rank,
        ts_headline('english', ${escapedHtml(Prisma.sql`m.content`)}, q, ${options}) AS snippet
      FROM (
        SELECT m.ctid AS tid, m.id, m."createdAt",
          -- ts_rank gives ~0 to any query with a negation; rank by the positive part (querytree drops the NOTs).
          CASE WHEN querytree(q) = 'T' THEN 0 ELSE ts_rank(m."searchVector", querytree(q)::tsquery) END::float8 AS rank
        FROM "Message" m, websearch_to_tsquery('english', ${query}) q
        WHERE m."searchVector" @@ q
          AND m."tenantId" = ${actor.tenantId}
          AND m."conversationId" IN (SELECT "conversationId" FROM "ConversationMember" WHERE "userId" = ${actor.userId})
          ${inConversation}
        ORDER BY rank DESC, m."createdAt" DESC, m.id DESC
        LIMIT ${limit + 1} OFFSET ${offset}
      ) p
      JOIN "Message" m ON m.ctid = p.tid, websearch_to_tsquery('english', ${query}) q
      ORDER BY p.rank DESC, p."createdAt" DESC, p.id DESC`;
    const hits: (SearchHit & { offset: number })[] = rows.map(({ rank, snippet, ...message }, i) => ({
      messageId: message.id,
      rank: Number(rank),
      snippet: snippet.replaceAll(START, '<mark>').replaceAll(STOP, '</mark>'),
      message,
      offset: offset + i + 1,
    }));
    return toPage(hits, limit, (h) => encodeCursor('s', h.offset), { hadCursor: offset > 0 });
  }

  async stats(actor: Actor) {
    const { userId, tenantId } = actor;
    const since = new Date(Date.now() - 29 * 86_400_000);
    since.setUTCHours(0, 0, 0, 0);
    const [totals] = await this.prisma.$queryRaw<{ sent: bigint; received: bigint; unread: bigint; conversations: bigint }[]>`
      SELECT
        (SELECT count(*) FROM "Message" WHERE "tenantId" = ${tenantId} AND "senderId" = ${userId} AND "deletedAt" IS NULL) AS sent,
        (SELECT count(*) FROM "Message" m JOIN "ConversationMember" cm ON cm."conversationId" = m."conversationId" AND cm."userId" = ${userId}
          WHERE m."senderId" IS DISTINCT FROM ${userId} AND m."deletedAt" IS NULL) AS received,
        (SELECT count(*) FROM "Message" m JOIN "ConversationMember" cm ON cm."conversationId" = m."conversationId" AND cm."userId" = ${userId}
          WHERE m."senderId" IS DISTINCT FROM ${userId} AND m."deletedAt" IS NULL AND m.sequence > cm."lastReadSequence") AS unread,
        (SELECT count(*) FROM "ConversationMember" WHERE "userId" = ${userId}) AS conversations`;
    const days = await this.prisma.$queryRaw<{ day: string; sent: bigint; received: bigint }[]>`
      SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
        count(m.id) FILTER (WHERE m."senderId" = ${userId}) AS sent,
        count(m.id) FILTER (WHERE m."senderId" IS DISTINCT FROM ${userId}) AS received
      FROM generate_series(${since}::timestamp, ${since}::timestamp + interval '29 days', interval '1 day') AS d(day)
      LEFT JOIN "Message" m
        ON m."createdAt" >= d.day AND m."createdAt" < d.day + interval '1 day' AND m."deletedAt" IS NULL
        AND m."conversationId" IN (SELECT "conversationId" FROM "ConversationMember" WHERE "userId" = ${userId})
      GROUP BY d.day ORDER BY d.day`;
    return {
      sent: Number(totals.sent),
      received: Number(totals.received),
      unread: Number(totals.unread),
      conversations: Number(totals.conversations),
      perDay: days.map((d) => ({ date: d.day, sent: Number(d.sent), received: Number(d.received) })),
    };
  }

  /**
   * People in the tenant by name or username prefix, or by exact email. Email is matched only whole (a prefix search
   * would let anyone reconstruct addresses) and only among the viewer's contacts, who may see it anyway (see
   * canSeeContact): otherwise anyone could test address after address for an account and learn its owner's name.
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
                { email: search.toLowerCase(), memberships: { some: { conversation: { members: { some: { userId: actor.userId } } } } } },
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
