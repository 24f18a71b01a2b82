// The per-conversation event log. Every change takes the next Conversation.lastSequence inside its transaction
// (the UPDATE row lock serialises writers per conversation, so sequence order is commit order) and stores a
// ConversationEvent; after the commit a small copy is published on the conversation's topic and on each affected
// user's topic (the inbox stream). Live events are only triggers: a subscriber that sees a jump in sequence reads
// the missing events from the log, so neither a reconnect nor out-of-order delivery loses or repeats an event.
import { randomUUID } from 'node:crypto';
import type { ConversationEventType, Message, PrismaClient, User } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { SqlQuery } from '../db/client.ts';
import { carriedColumns, fromArray, selectList } from '../db/rows.ts';

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
  /**
   * The rows the event points at, as they were written with it: set on a live MESSAGE_ADDED (the message and its
   * sender), absent in the log. Subscribers answer their selection from them instead of reading them back
   * (event-rows.ts). Travels as JSON on Redis, so dates may arrive as ISO strings.
   */
  rows?: EventRows;
}

/** Rows carried by a live event (see ConversationEventPayload.rows); never a password hash. */
export interface EventRows {
  message?: Message;
  user?: Omit<User, 'passwordHash'>;
}

/** A User row fit to travel with an event: everything but the password hash. */
export function eventUser(user: User): Omit<User, 'passwordHash'> {
  const { passwordHash: _hash, ...row } = user;
  return row;
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

const MESSAGE_FIELDS = carriedColumns('Message');
const MESSAGE_SELECT = selectList(MESSAGE_FIELDS);

export interface MessageDraft {
  tenantId: string;
  conversationId: string;
  senderId: string;
  content: string;
  clientMessageId: string | null;
  /** The sender's clock when the message was sent. */
  now: Date;
}

/**
 * Stores a new message and its MESSAGE_ADDED event in one statement: the membership check, the conversation's next
 * sequence (the row lock serialises writers, as takeSequences does), the message and the event. Null, with
 * nothing written, when the sender is not a member of a conversation of their tenant. The message's time (and its
 * event's) never moves backwards: a writer that read the clock earlier but got the lock later must not make times
 * disagree with sequence order.
 */
export async function appendMessage(sql: SqlQuery, d: MessageDraft): Promise<{ message: Message; event: ConversationEventPayload } | null> {
  const messageId = randomUUID();
  // parley_append_message (migration 20261202183000): the sender's clock goes as UTC wall time, as the
  // timestamp(3) columns hold it.
  const rows = await sql(
    `SELECT ${MESSAGE_SELECT} FROM parley_append_message($1, $2, $3, $4, $5, $6, $7, $8::timestamp(3))`,
    [messageId, randomUUID(), d.tenantId, d.conversationId, d.senderId, d.content, d.clientMessageId, d.now.toISOString().slice(0, -1)],
  );
  const row = rows[0];
  if (!row) return null;
  const message = fromArray<Message>(MESSAGE_FIELDS, row);
  const { sequence, createdAt } = message;
  const event = toPayload({ conversationId: d.conversationId, sequence, type: 'MESSAGE_ADDED', messageId, userId: d.senderId, readUpTo: null, createdAt });
  return { message, event };
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

/**
 * Publishes committed events: on the conversation topic and on the topic of every user in `audience`. The rows an
 * event carries go on the conversation topic only: on Redis every user topic is a message of its own, and a
 * group's worth of copies of the message would cost more than the inbox streams' one shared read.
 */
export function publishEvents(pubsub: ParleyPubSub, events: ConversationEventPayload[], audience: Iterable<string>) {
  const users = [...new Set(audience)];
  for (const event of events) {
    pubsub.publish('conversation:event', event.conversationId, event);
    const forUsers = event.rows ? withoutRows(event) : event;
    for (const userId of users) pubsub.publish('user:event', userId, forUsers);
  }
}

function withoutRows({ rows: _rows, ...event }: ConversationEventPayload): ConversationEventPayload {
  return event;
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

// ---- The inbox's view of the log (inbox.ts). A snapshot is PostgreSQL's "xmin:xmax:xip,..." text; an event was in
// it when pg_visible_in_snapshot(txid, snapshot): its transaction had committed when the snapshot was taken. The
// viewer's own MEMBER_JOINED/MEMBER_LEFT events are read through their partial index (a few rows per membership).

/** The database's current snapshot. */
export async function currentSnapshot(prisma: PrismaClient): Promise<string> {
  const rows = await prisma.$queryRaw<{ snapshot: string }[]>`SELECT pg_current_snapshot()::text AS snapshot`;
  return rows[0].snapshot;
}

/**
 * In one statement, so one snapshot: that snapshot, and the lastSequence in it of the viewer's conversations and of
 * `also` (conversations the viewer may have left). A conversation's events up to its lastSequence are exactly the
 * ones the snapshot holds: every event updates lastSequence in its own transaction.
 */
export async function latestSequences(prisma: PrismaClient, viewerId: string, also: string[] = []) {
  const rows = await prisma.$queryRaw<{ snapshot: string; id: string | null; lastSequence: number | null }[]>`
    WITH ids AS (
      SELECT unnest(${also}::text[]) AS id
      UNION SELECT "conversationId" FROM "ConversationMember" WHERE "userId" = ${viewerId})
    SELECT s.snapshot, c.id, c."lastSequence"
    FROM (SELECT pg_current_snapshot()::text AS snapshot) s
    LEFT JOIN (ids JOIN "Conversation" c ON c.id = ids.id) ON true`;
  const sequences = new Map<string, number>();
  for (const r of rows) if (r.id !== null) sequences.set(r.id, Number(r.lastSequence));
  return { snapshot: rows[0].snapshot, sequences };
}

/** Conversations the viewer was a member of in `snapshot`, or joined or left after it. */
export async function membershipsSince(prisma: PrismaClient, viewerId: string, snapshot: string): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT "conversationId" AS id FROM (
      SELECT DISTINCT ON ("conversationId") "conversationId", type, pg_visible_in_snapshot(txid, ${snapshot}::pg_snapshot) AS seen
      FROM "ConversationEvent" WHERE "userId" = ${viewerId} AND type IN ('MEMBER_JOINED', 'MEMBER_LEFT')
      ORDER BY "conversationId", sequence DESC) latest
    WHERE NOT seen OR type = 'MEMBER_JOINED'`;
  return rows.map((r) => r.id);
}

/** Per conversation, the last sequence `snapshot` holds (0: none). */
export async function visibleSequences(prisma: PrismaClient, ids: string[], snapshot: string): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<{ id: string; sequence: number }[]>`
    SELECT g.id, COALESCE((SELECT e.sequence FROM "ConversationEvent" e
      WHERE e."conversationId" = g.id AND pg_visible_in_snapshot(e.txid, ${snapshot}::pg_snapshot)
      ORDER BY e.sequence DESC LIMIT 1), 0) AS sequence
    FROM unnest(${ids}::text[]) AS g(id)`;
  return new Map(rows.map((r) => [r.id, Number(r.sequence)]));
}

/** Where a viewer stands in a conversation: everything up to `sequence` is behind them; `member` there or not. */
export interface Viewpoint {
  sequence: number;
  member: boolean;
}

/**
 * The viewpoint of a client that had, of each conversation, everything up to `given` (when known, else -1) or else
 * everything `snapshot` held. Up to a snapshot, only the viewer's last own membership event matters: after a
 * departure nothing is theirs to see, so the departure itself is as good a place as the snapshot's last event.
 */
export async function viewpoints(
  prisma: PrismaClient,
  viewerId: string,
  of: { id: string; given: number; snapshot: string }[],
): Promise<Map<string, Viewpoint>> {
  if (!of.length) return new Map();
  const rows = await prisma.$queryRaw<{ id: string; given: number; ownSequence: number | null; ownType: string | null; visible: number | null }[]>`
    SELECT g.id, g.given, own.sequence AS "ownSequence", own.type::text AS "ownType",
      CASE WHEN g.given < 0 AND own.type = 'MEMBER_JOINED' THEN COALESCE((SELECT e.sequence FROM "ConversationEvent" e
        WHERE e."conversationId" = g.id AND pg_visible_in_snapshot(e.txid, g.snap::pg_snapshot)
        ORDER BY e.sequence DESC LIMIT 1), 0) END AS visible
    FROM unnest(${of.map((o) => o.id)}::text[], ${of.map((o) => o.given)}::int[], ${of.map((o) => o.snapshot)}::text[]) AS g(id, given, snap)
    LEFT JOIN LATERAL (SELECT e.sequence, e.type FROM "ConversationEvent" e
      WHERE e."userId" = ${viewerId} AND e."conversationId" = g.id AND e.type IN ('MEMBER_JOINED', 'MEMBER_LEFT')
        AND CASE WHEN g.given < 0 THEN pg_visible_in_snapshot(e.txid, g.snap::pg_snapshot) ELSE e.sequence <= g.given END
      ORDER BY e.sequence DESC LIMIT 1) own ON true`;
  const out = new Map<string, Viewpoint>();
  for (const r of rows) {
    const member = r.ownType === 'MEMBER_JOINED';
    const sequence = r.given >= 0 ? r.given : member ? Number(r.visible) : Number(r.ownSequence ?? 0);
    out.set(r.id, { sequence, member });
  }
  return out;
}

/** The sequence of the viewer's first MEMBER_JOINED in the conversation after `after` and up to `upTo`, or null. */
export async function nextJoin(prisma: PrismaClient, viewerId: string, conversationId: string, after: number, upTo: number): Promise<number | null> {
  const rows = await prisma.$queryRaw<{ sequence: number | null }[]>`
    SELECT min(sequence) AS sequence FROM "ConversationEvent"
    WHERE "userId" = ${viewerId} AND "conversationId" = ${conversationId} AND type = 'MEMBER_JOINED'
      AND sequence > ${after} AND sequence <= ${upTo}`;
  return rows[0]?.sequence ?? null;
}
