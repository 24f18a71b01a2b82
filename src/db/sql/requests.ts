// Message requests: where a send stands in a DIRECT conversation the other person has not accepted.
import { int, type RawClient } from './statement.ts';

/** A sender's standing in a conversation they are a member of (see requestStanding). */
export interface RequestStanding {
  /** A group: no requests there (the other fields are false and null). */
  group: boolean;
  /** The conversation is a message request for the sender themself (they have not accepted it). */
  mine: boolean;
  /**
   * The messages the sender sent since the other person's request began, while it is pending (or since the start,
   * after they declined and left it); null when the other person accepted.
   */
  sentUnaccepted: number | null;
}

interface StandingRow {
  kind: string;
  mine: boolean;
  sent: bigint | number | null;
}

export const decodeStanding = (r: StandingRow): RequestStanding => ({
  group: r.kind !== 'DIRECT',
  mine: r.kind === 'DIRECT' && r.mine,
  sentUnaccepted: r.kind === 'DIRECT' && r.sent !== null ? int(r.sent) : null,
});

/** The sender's standing in a conversation they are a member of (null: no such membership). */
export async function requestStanding(prisma: RawClient, conversationId: string, senderId: string): Promise<RequestStanding | null> {
  const rows = await prisma.$queryRaw<StandingRow[]>`
    SELECT c.kind::text AS kind, me."requestedAt" IS NOT NULL AS mine,
      CASE WHEN c.kind = 'DIRECT' AND (o."userId" IS NULL OR o."requestedAt" IS NOT NULL) THEN
        (SELECT count(*) FROM "Message" m WHERE m."conversationId" = c.id AND m."senderId" = ${senderId}
           AND m."createdAt" >= COALESCE(o."requestedAt", c."createdAt"))
      END AS sent
    FROM "Conversation" c
    JOIN "ConversationMember" me ON me."conversationId" = c.id AND me."userId" = ${senderId}
    LEFT JOIN "ConversationMember" o ON o."conversationId" = c.id AND o."userId" <> ${senderId} AND c.kind = 'DIRECT'
    WHERE c.id = ${conversationId}
    LIMIT 1`;
  return rows[0] ? decodeStanding(rows[0]) : null;
}
