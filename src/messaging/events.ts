// The per-conversation event log. Every change takes the next Conversation.lastSequence inside its transaction
// (the UPDATE row lock serialises writers per conversation, so sequence order is commit order) and stores a
// ConversationEvent; after the commit a small copy is published on the conversation's topic and on each affected
// user's topic (the inbox stream). Live events are only triggers: a subscriber that sees a jump in sequence reads
// the missing events from the log, so neither a reconnect nor out-of-order delivery loses or repeats an event.
import type { ConversationEventType, PrismaClient } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';

export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** What a subscriber receives; identical whether replayed from the log or delivered live. */
export interface ConversationEventPayload {
  conversationId: string;
  sequence: number;
  type: ConversationEventType;
  messageId: string | null;
  userId: string | null;
  readUpTo: number | null;
  createdAt: string;
}

export interface EventDraft {
  type: ConversationEventType;
  messageId?: string | null;
  userId?: string | null;
  readUpTo?: number | null;
}

/** Takes `count` sequence numbers in the conversation (row-locked until commit); returns the first one. */
export async function takeSequences(tx: Tx, conversationId: string, count = 1): Promise<number> {
  const rows = await tx.$queryRaw<{ last: number }[]>`
    UPDATE "Conversation" SET "lastSequence" = "lastSequence" + ${count}, "updatedAt" = now()
    WHERE id = ${conversationId} RETURNING "lastSequence" AS last`;
  if (!rows[0]) throw new Error(`conversation ${conversationId} vanished`);
  return Number(rows[0].last) - count + 1;
}

/**
 * One sequence number for a new message, and its time. The activity time never moves backwards: a writer that
 * read the clock earlier but got the lock later must not make message times disagree with sequence order.
 */
export async function takeMessageSequence(tx: Tx, conversationId: string, now: Date): Promise<{ sequence: number; at: Date }> {
  const rows = await tx.$queryRaw<{ last: number; at: Date | string }[]>`
    UPDATE "Conversation"
    SET "lastSequence" = "lastSequence" + 1, "updatedAt" = now(),
        "lastMessageAt" = GREATEST(COALESCE("lastMessageAt", ${now}), ${now})
    WHERE id = ${conversationId} RETURNING "lastSequence" AS last, "lastMessageAt" AS at`;
  if (!rows[0]) throw new Error(`conversation ${conversationId} vanished`);
  return { sequence: Number(rows[0].last), at: new Date(rows[0].at) };
}

/** Stores events with consecutive sequences starting at `first`. */
export async function writeEvents(tx: Tx, conversationId: string, first: number, drafts: EventDraft[]): Promise<ConversationEventPayload[]> {
  const now = new Date();
  const rows = drafts.map((d, i) => ({
    conversationId,
    sequence: first + i,
    type: d.type,
    messageId: d.messageId ?? null,
    userId: d.userId ?? null,
    readUpTo: d.readUpTo ?? null,
    createdAt: now,
  }));
  await tx.conversationEvent.createMany({ data: rows });
  return rows.map((r) => ({ ...r, createdAt: now.toISOString() }));
}

/** takeSequences + writeEvents for the common case. */
export async function appendEvents(tx: Tx, conversationId: string, drafts: EventDraft[]) {
  const first = await takeSequences(tx, conversationId, drafts.length);
  return writeEvents(tx, conversationId, first, drafts);
}

/** Publishes committed events: on the conversation topic and on the topic of every user in `audience`. */
export function publishEvents(pubsub: ParleyPubSub, events: ConversationEventPayload[], audience: Iterable<string>) {
  const users = [...new Set(audience)];
  for (const event of events) {
    pubsub.publish('conversation:event', event.conversationId, event);
    for (const userId of users) pubsub.publish('user:event', userId, event);
  }
}

export function toPayload(row: Omit<ConversationEventPayload, 'createdAt'> & { createdAt: Date }): ConversationEventPayload {
  return {
    conversationId: row.conversationId,
    sequence: row.sequence,
    type: row.type,
    messageId: row.messageId,
    userId: row.userId,
    readUpTo: row.readUpTo,
    createdAt: row.createdAt.toISOString(),
  };
}
