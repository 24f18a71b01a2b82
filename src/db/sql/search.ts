// Full-text search over messages: the generated tsvector column (GIN index) with websearch_to_tsquery, and the names
// of their attachments. The caller gives a query websearch_to_tsquery accepts (see websearchQuery in
// messaging/search.service.ts).
import { Prisma, type Message } from '../../generated/prisma/client.ts';
import { selectList } from '../rows.ts';
import type { RawClient } from './statement.ts';

// The content is HTML-escaped before ts_headline (which would otherwise drop anything that looks like a tag; the
// entities it leaves alone), and matches are marked with characters a message can never contain (control characters
// are rejected), turned into <mark> afterwards: the snippet is safe to render as HTML, in text and in attributes.
const START = '\u0001';
const STOP = '\u0002';
// Every character HTML gives a meaning to; `&` first, so the entities of the others are not escaped again.
const HTML_ESCAPES: [string, string][] = [
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
];
const escapedHtml = (text: Prisma.Sql) =>
  HTML_ESCAPES.reduce((sql, [char, entity]) => Prisma.sql`replace(${sql}, ${char}, ${entity})`, text);
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`;

// Every scalar column of Message (the generated tsvector is not one): a hit carries its message's row, so a
// selection of the message's own fields needs no second query.
const MESSAGE_COLUMNS = Object.values(Prisma.MessageScalarFieldEnum);
const columnsOf = (alias: string) => Prisma.raw(selectList(MESSAGE_COLUMNS, alias));

export interface SearchRow {
  /** The message's row (every scalar column, as Prisma returns them). */
  message: Message;
  rank: number;
  /** Up to two fragments of the content, HTML-escaped, matches in <mark>. */
  snippet: string;
}

type SearchRawRow = Message & { rank: number; snippet: string };

export function decodeSearchRow({ rank, snippet, ...message }: SearchRawRow): SearchRow {
  return { message, rank: Number(rank), snippet: snippet.replaceAll(START, '<mark>').replaceAll(STOP, '</mark>') };
}

export interface SearchArgs {
  /** A query websearch_to_tsquery accepts. */
  query: string;
  tenantId: string;
  /** Only conversations this user is a member of. */
  userId: string;
  conversationId?: string | null;
  take: number;
  offset: number;
}

// A file name's words: "quarterly-report_2026.pdf" is one token to PostgreSQL's parser (a file path), so every run of
// characters that are not letters or digits is a space first ("quarterly report 2026 pdf").
const nameWords = (alias: string) => Prisma.raw(`to_tsvector('english', regexp_replace(${alias}.name, '[^[:alnum:]]+', ' ', 'g'))`);
// ts_rank gives ~0 to any query with a negation; rank by the positive part (querytree drops the NOTs).
const rankOf = (vector: Prisma.Sql) =>
  Prisma.sql`CASE WHEN querytree(q) = 'T' THEN 0 ELSE ts_rank(${vector}, querytree(q)::tsquery) END::float8`;

/**
 * Matches by rank (then newest first), `take` of them from `offset`, each with its row and a snippet. A message matches
 * by its text or by the name of one of its attachments (ranked by the better of the two); one that matches by names
 * alone has those names, each marked whole, as its snippet.
 */
export async function searchMessages(prisma: RawClient, a: SearchArgs): Promise<SearchRow[]> {
  const inConversation = a.conversationId ? Prisma.sql`AND m."conversationId" = ${a.conversationId}` : Prisma.empty;
  // In the viewer's conversations, from what each lets them read on (a group whose history shows from joining).
  const visible = Prisma.sql`m."tenantId" = ${a.tenantId}
        AND EXISTS (SELECT 1 FROM "ConversationMember" cm
                    WHERE cm."conversationId" = m."conversationId" AND cm."userId" = ${a.userId} AND m.sequence >= cm."visibleFrom")
        ${inConversation}`;
  // Rank every match, keep the page, and only then build snippets: ts_headline re-parses the whole text, so it
  // runs for the page's rows, not for every match (the difference between milliseconds and seconds for a
  // common word in a large history). Ranking reads each match's row for its tsvector; the sort carries only
  // what orders the page and the row's address (ctid), and the page's rows are then read back by address
  // (a TID scan within the same statement, so the same row versions). The GIN index has no pending list to
  // scan (see the search_index_without_pending_list migration). Attachment names have no index: their branch reads
  // the attachments of the viewer's conversations' messages (by Attachment's messageId index).
  const rows = await prisma.$queryRaw<SearchRawRow[]>`
    SELECT ${columnsOf('m')}, p.rank,
      CASE WHEN m."searchVector" @@ q
        THEN ts_headline('english', ${escapedHtml(Prisma.sql`m.content`)}, q, ${HEADLINE_OPTIONS})
        ELSE coalesce((SELECT string_agg(${START} || ${escapedHtml(Prisma.sql`a.name`)} || ${STOP}, ', ' ORDER BY a.position)
                       FROM "Attachment" a WHERE a."messageId" = m.id AND ${nameWords('a')} @@ q), '')
      END AS snippet
    FROM (
      SELECT c.tid, c.id, c."createdAt", max(c.rank) AS rank
      FROM (
        SELECT m.ctid AS tid, m.id, m."createdAt", ${rankOf(Prisma.sql`m."searchVector"`)} AS rank
        FROM "Message" m, websearch_to_tsquery('english', ${a.query}) q
        WHERE m."searchVector" @@ q AND ${visible}
        UNION ALL
        SELECT m.ctid, m.id, m."createdAt", ${rankOf(nameWords('a'))}
        FROM "Attachment" a JOIN "Message" m ON m.id = a."messageId", websearch_to_tsquery('english', ${a.query}) q
        WHERE a."tenantId" = ${a.tenantId} AND m."deletedAt" IS NULL AND ${nameWords('a')} @@ q AND ${visible}
      ) c
      GROUP BY c.tid, c.id, c."createdAt"
      ORDER BY rank DESC, c."createdAt" DESC, c.id DESC
      LIMIT ${a.take} OFFSET ${a.offset}
    ) p
    JOIN "Message" m ON m.ctid = p.tid, websearch_to_tsquery('english', ${a.query}) q
    ORDER BY p.rank DESC, p."createdAt" DESC, p.id DESC`;
  return rows.map(decodeSearchRow);
}
