// The event log's one hand-written write: taking sequence numbers. The UPDATE's row lock on the conversation
// serialises writers per conversation until the transaction ends, so sequence order is commit order.
import { int, type RawClient } from './statement.ts';

interface TakenRow {
  last: number | bigint;
}

/** The first of the sequences taken, from the RETURNING row (the new lastSequence); throws when the row is gone. */
export function decodeFirstSequence(rows: TakenRow[], conversationId: string, count: number): number {
  if (!rows[0]) throw new Error(`conversation ${conversationId} vanished`);
  return int(rows[0].last) - count + 1;
}

/** Takes `count` sequence numbers in the conversation (row-locked until commit); returns the first one. */
export async function takeSequences(tx: RawClient, conversationId: string, count = 1): Promise<number> {
  const rows = await tx.$queryRaw<TakenRow[]>`
    UPDATE "Conversation" SET "lastSequence" = "lastSequence" + ${count}, "updatedAt" = now()
    WHERE id = ${conversationId} RETURNING "lastSequence" AS last`;
  return decodeFirstSequence(rows, conversationId, count);
}
