// Message statistics of one user: totals, and messages per day over a window of days.
import { int, type RawClient } from './statement.ts';
import { hiddenMembership, unreadFor } from './conversations.ts';

export interface MessageTotals {
  /** Messages the user sent (deleted ones do not count). */
  sent: number;
  /** Messages others sent in the user's conversations. */
  received: number;
  /** Of those, the ones after the user's read pointer. */
  unread: number;
  /** Conversations the user is a member of. */
  conversations: number;
}

interface TotalsRow {
  sent: bigint;
  received: bigint;
  unread: bigint;
  conversations: bigint;
}

export const decodeTotals = (r: TotalsRow): MessageTotals => ({
  sent: int(r.sent),
  received: int(r.received),
  unread: int(r.unread),
  conversations: int(r.conversations),
});

export async function messageTotals(prisma: RawClient, tenantId: string, userId: string): Promise<MessageTotals> {
  const [totals] = await prisma.$queryRaw<TotalsRow[]>`
    SELECT
      (SELECT count(*) FROM "Message" WHERE "tenantId" = ${tenantId} AND "senderId" = ${userId} AND "deletedAt" IS NULL) AS sent,
      (SELECT count(*) FROM "Message" m JOIN "ConversationMember" cm ON cm."conversationId" = m."conversationId" AND cm."userId" = ${userId}
        WHERE m."senderId" IS DISTINCT FROM ${userId} AND m."deletedAt" IS NULL) AS received,
      (SELECT count(*) FROM "Message" m JOIN "ConversationMember" cm ON cm."conversationId" = m."conversationId" AND cm."userId" = ${userId}
        JOIN "Conversation" c ON c.id = m."conversationId"
        LEFT JOIN "Message" root ON root.id = m."threadRootId"
        WHERE m.sequence > cm."lastReadSequence" AND ${unreadFor(userId)} AND NOT ${hiddenMembership}) AS unread,
      (SELECT count(*) FROM "ConversationMember" WHERE "userId" = ${userId}) AS conversations`;
  return decodeTotals(totals);
}

export interface DayCount {
  /** YYYY-MM-DD (UTC). */
  date: string;
  sent: number;
  received: number;
}

interface DayRow {
  day: string;
  sent: bigint;
  received: bigint;
}

export const decodeDay = (r: DayRow): DayCount => ({ date: r.day, sent: int(r.sent), received: int(r.received) });

/** Per UTC day, the 30 from `since` (a UTC midnight), the messages the user sent and received (deleted ones do not count). */
export async function messagesPerDay(prisma: RawClient, userId: string, since: Date): Promise<DayCount[]> {
  const rows = await prisma.$queryRaw<DayRow[]>`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
      count(m.id) FILTER (WHERE m."senderId" = ${userId}) AS sent,
      count(m.id) FILTER (WHERE m."senderId" IS DISTINCT FROM ${userId}) AS received
    FROM generate_series(${since}::timestamp, ${since}::timestamp + interval '29 days', interval '1 day') AS d(day)
    LEFT JOIN "Message" m
      ON m."createdAt" >= d.day AND m."createdAt" < d.day + interval '1 day' AND m."deletedAt" IS NULL
      AND m."conversationId" IN (SELECT "conversationId" FROM "ConversationMember" WHERE "userId" = ${userId})
    GROUP BY d.day ORDER BY d.day`;
  return rows.map(decodeDay);
}
