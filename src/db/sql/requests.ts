// Message requests: where a send stands in a DIRECT conversation the other person has not accepted.
import { int, type RawClient } from './statement.ts';

/** A sender's standing in a DIRECT conversation (see requestStanding). */
export interface RequestStanding {
  /** The conversation is a message request for the sender themself (they have not accepted it). */
  mine: boolean;
  /**
   * The messages the sender sent since the other person's request began, while it is pending (or since the start,
   * after they declined and left it); null when the other person accepted.
   */
  sentUnaccepted: number | null;
}

interface StandingRow {
  mine: boolean;
  sent: bigint | number | null;
}

export const decodeStanding = (r: StandingRow): RequestStanding => ({ mine: r.mine, sentUnaccepted: r.sent === null ? null : int(r.sent) });

/** The sender's standing in a DIRECT conversation they are a member of; null for a group (or no such membership). */
export async function requestStanding(prisma: RawClient, conversationId: string, senderId: string): Promise<RequestStanding | null> {
  const rows = await prisma.$queryRaw<StandingRow[]>`
    SELECT me."requestedAt" IS NOT NULL AS mine,
      CASE WHEN o."userId" IS NULL OR o."requestedAt" IS NOT NULL THEN
        (SELECT count(*) FROM "Message" m WHERE m."conversationId" = c.id AND m."senderId" = ${senderId}
           AND m."createdAt" >= COALESCE(o."requestedAt", c."createdAt"))
      END AS sent
    FROM "Conversation" c
    JOIN "ConversationMember" me ON me."conversationId" = c.id AND me."userId" = ${senderId}
    LEFT JOIN "ConversationMember" o ON o."conversationId" = c.id AND o."userId" <> ${senderId}
    WHERE c.id = ${conversationId} AND c.kind = 'DIRECT'`;
  return rows[0] ? decodeStanding(rows[0]) : null;
}
