// The per-conversation event log. Every change takes the next Conversation.lastSequence inside its transaction
// (the UPDATE row lock serialises writers per conversation, so sequence order is commit order) and stores a
// ConversationEvent; after the commit a small copy is published on the conversation's topic and on each affected
// user's topic (the inbox stream). Live events are only triggers: a subscriber that sees a jump in sequence reads
// the missing events from the log, so neither a reconnect nor out-of-order delivery loses or repeats an event.
import { randomUUID } from 'node:crypto';
import type { ConversationEventType, Message, PrismaClient, User } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { SqlQuery } from '../db/client.ts';
import { takeSequences } from '../db/sql/events.ts';
import { appendMessageRow } from '../db/sql/messages.ts';

export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/** What a subscriber receives; identical whether replayed from the log or delivered live. */
export interface ConversationEventPayload {
  conversationId: string;
  sequence: number;
  /** A stored event's type, or MESSAGE_DELTA: a piece of a streaming answer, never stored (see `delta`). */
  type: ConversationEventType | 'MESSAGE_DELTA';
  messageId: string | null;
  userId: string | null;
  readUpTo: number | null;
  /** The emoji of a reaction event (absent or null otherwise). */
  emoji?: string | null;
  createdAt: string;
  /**
   * The rows the event points at, as they were written with it: set on a live MESSAGE_ADDED (the message and its
   * sender), absent in the log. Subscribers answer their selection from them instead of reading them back
   * (event-rows.ts). Travels as JSON on Redis, so dates may arrive as ISO strings.
   */
  rows?: EventRows;
  /**
   * Set on a copy published to a member's own topic for an event of a large conversation (see Audience): the
   * conversation's events reach that member's inbox through the conversation's topic, which it should follow
   * (unless this is their own MEMBER_LEFT, after which it should not).
   */
  viaTopic?: boolean;
  /**
   * MESSAGE_DELTA only: text an assistant's STREAMING message grew by. Such an event is not in the log: it carries the
   * sequence of its message's MESSAGE_ADDED, passes streams that delivered that event (stream.ts), and is never
   * reordered or read back; MESSAGE_COMPLETED carries the whole text. Its messageId and userId are null (nothing
   * to load per piece).
   */
  delta?: MessageDelta;
}

/** A piece of a streaming message: `index` counts its pieces from 0; `text` is appended to what came before. */
export interface MessageDelta {
  messageId: string;
  index: number;
  text: string;
}

/** Whether an event is a MESSAGE_DELTA (a transient piece of a streaming message, outside the log's order). */
export const isDelta = (event: ConversationEventPayload): boolean => event.type === 'MESSAGE_DELTA';

/**
 * Who hears of a conversation's events on their own topic (the inbox stream). A conversation of at most
 * LARGE_GROUP_MEMBERS members names them all: each event goes to each. A larger one goes to no member list: each
 * connected member's inbox follows the conversation's own topic instead (inbox-follow.ts), so an event costs work for
 * the members connected, not for every member. Only a member's own MEMBER_JOINED or MEMBER_LEFT still goes to their
 * topic (so their inbox starts or stops following), and `announceTo` hears of the batch's last event: the members
 * when a conversation becomes large, so their inboxes start following it (and read what came before from the log).
 */
export type Audience = { members: Iterable<string> } | { large: true; announceTo?: Iterable<string> };

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
  emoji?: string | null;
}

export interface MessageDraft {
  tenantId: string;
  conversationId: string;
  senderId: string;
  content: string;
  clientMessageId: string | null;
  /** The sender's clock when the message was sent. */
  now: Date;
  /** The message a reply quotes, of the same conversation. */
  replyToId: string | null;
  /** The thread root this message answers, of the same conversation (null: the main history). */
  threadRootId: string | null;
  /** Usernames written as @mentions, lowercase. */
  mentions: string[];
  /** The sender's uploads the message takes, in order. */
  attachmentIds: string[];
  /** Messages a sender may send in a message request the other person has not accepted (REQUEST_MESSAGE_LIMIT). */
  requestLimit: number;
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
  const message = await appendMessageRow(sql, { ...d, messageId, eventId: randomUUID() });
  if (!message) return null;
  const { sequence, createdAt } = message;
  const event = toPayload({
    conversationId: d.conversationId,
    sequence,
    type: 'MESSAGE_ADDED',
    messageId,
    userId: d.senderId,
    readUpTo: null,
    createdAt,
  });
  return { message, event };
}

/** Stores events with consecutive sequences starting at `first`. */
export async function writeEvents(
  tx: Tx,
  conversationId: string,
  first: number,
  drafts: EventDraft[],
): Promise<ConversationEventPayload[]> {
  const now = new Date();
  const rows = drafts.map((d, i) => ({
    conversationId,
    sequence: first + i,
    type: d.type,
    messageId: d.messageId ?? null,
    userId: d.userId ?? null,
    readUpTo: d.readUpTo ?? null,
    emoji: d.emoji ?? null,
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
 * Publishes committed events: on the conversation topic, and on the topics of their audience (see Audience). The
 * rows an event carries go on the conversation topic only: on Redis every user topic is a message of its own, and a
 * group's worth of copies of the message would cost more than the inbox streams' one shared read.
 */
export function publishEvents(pubsub: ParleyPubSub, events: ConversationEventPayload[], audience: Audience) {
  const members = 'members' in audience ? [...new Set(audience.members)] : [];
  const announced = new Set('large' in audience ? (audience.announceTo ?? []) : []);
  const last = events.at(-1);
  for (const event of events) {
    pubsub.publish('conversation:event', event.conversationId, event);
    const forUsers = event.rows ? withoutRows(event) : event;
    for (const userId of members) pubsub.publish('user:event', userId, forUsers);
    if (!('large' in audience)) continue;
    const flagged = { ...forUsers, viaTopic: true };
    if (event === last) for (const userId of announced) pubsub.publish('user:event', userId, flagged);
    const own = event.type === 'MEMBER_JOINED' || event.type === 'MEMBER_LEFT' ? event.userId : null;
    if (own && !(event === last && announced.has(own))) pubsub.publish('user:event', own, flagged);
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
    emoji: row.emoji ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
