// The two hot paths of messages, each one statement through Database.query: a send (parley_append_message, whose
// definition is parley_append_message.sql beside this file) and a history page with its senders.
import type { Message, User } from '../../generated/prisma/client.ts';
import { carriedColumns, fromArray, selectList } from '../rows.ts';
import { decoded, type SqlQuery } from './statement.ts';

/** A message's columns as both statements read them (every column: a Message has no withheld one). */
export const MESSAGE_COLUMNS = carriedColumns('Message');
/** A sender's columns: every column but the withheld ones (the password hash). */
export const SENDER_COLUMNS = carriedColumns('User');
export const MESSAGE_SELECT = selectList(MESSAGE_COLUMNS);
/** The page's columns: the message's, then its sender's; with quotes, then the quoted message's and its sender's. */
const HISTORY_SELECT = `${selectList(MESSAGE_COLUMNS, 'm')}, ${selectList(SENDER_COLUMNS, 'u')}`;
const QUOTE_SELECT = `${selectList(MESSAGE_COLUMNS, 'q')}, ${selectList(SENDER_COLUMNS, 'qu')}`;
/** Columns of one message with its sender, the width of HISTORY_SELECT and of QUOTE_SELECT. */
const WITH_SENDER = MESSAGE_COLUMNS.length + SENDER_COLUMNS.length;
const MESSAGE_ID = MESSAGE_COLUMNS.indexOf('id');
const SENDER_ID = MESSAGE_COLUMNS.length + SENDER_COLUMNS.indexOf('id');

export type Sender = Omit<User, 'passwordHash'>;

/** A history message with its sender (null once the account is deleted). */
export interface HistoryRow {
  message: Message;
  sender: Sender | null;
  /**
   * Read with `quotes`: the message this one quotes, with its sender (null: it quotes none, or the quoted message is
   * gone); absent when the page was read without quotes.
   */
  quote?: HistoryRow | null;
}

/** A Message from an array row holding MESSAGE_COLUMNS (from `offset` on). */
export const decodeMessage = (row: unknown[], offset = 0): Message => fromArray<Message>(MESSAGE_COLUMNS, row, offset);

export interface AppendedMessage {
  messageId: string;
  eventId: string;
  tenantId: string;
  conversationId: string;
  senderId: string;
  content: string;
  clientMessageId: string | null;
  /** The sender's clock when the message was sent. */
  now: Date;
  /** The message a reply quotes (kept only when it is in the same conversation). */
  replyToId: string | null;
  /** The root of the thread this message answers (null: the main history). */
  threadRootId: string | null;
  /** Usernames written as @mentions (lowercase); members other than the sender become mentionedIds. */
  mentions: string[];
  /** The sender's uploads this message takes, in order (see ATTACHMENT_TAKEN). */
  attachmentIds: string[];
  /** Messages a sender may send in a message request the other person has not accepted (see REQUEST_LIMIT_REACHED). */
  requestLimit: number;
}

/** The SQLSTATE parley_append_message raises when an attachment was taken by another send meanwhile. */
export const ATTACHMENT_TAKEN = 'PA404';
/** The SQLSTATE parley_append_message raises when a thread's root was deleted (without replies) meanwhile. */
export const THREAD_ROOT_GONE = 'PA410';
/** The SQLSTATE parley_append_message raises when the sender has sent requestLimit messages in an unaccepted request. */
export const REQUEST_LIMIT_REACHED = 'PA429';

/**
 * Stores a message and its MESSAGE_ADDED event (parley_append_message): the stored row, or null, with nothing
 * written, when the sender is not a member of the conversation in their tenant.
 */
export async function appendMessageRow(query: SqlQuery, m: AppendedMessage): Promise<Message | null> {
  // The sender's clock goes as UTC wall time, as the timestamp(3) columns hold it.
  const rows = await decoded(
    query,
    `SELECT ${MESSAGE_SELECT} FROM parley_append_message($1, $2, $3, $4, $5, $6, $7, $8::timestamp(3), $9, $10, $11::text[], $12::text[], $13::int)`,
    [
      m.messageId,
      m.eventId,
      m.tenantId,
      m.conversationId,
      m.senderId,
      m.content,
      m.clientMessageId,
      m.now.toISOString().slice(0, -1),
      m.replyToId,
      m.threadRootId,
      m.mentions,
      m.attachmentIds,
      m.requestLimit,
    ],
    decodeMessage,
  );
  return rows[0] ?? null;
}

/**
 * A decoder of history rows: a row of the page statement as a message and its sender (a sender met earlier by the
 * same decoder is the same object), with `quotes` the quoted message and its sender too, or null for the row a
 * member's empty page reads.
 */
export function historyDecoder(quotes = false): (row: unknown[]) => HistoryRow | null {
  const senders = new Map<unknown, Sender | null>();
  const withSender = (row: unknown[], offset: number): HistoryRow | null => {
    if (row[offset + MESSAGE_ID] === null) return null;
    const id = row[offset + SENDER_ID];
    let sender = id === null ? null : senders.get(id);
    if (sender === undefined) senders.set(id, (sender = fromArray<Sender>(SENDER_COLUMNS, row, offset + MESSAGE_COLUMNS.length)));
    return { message: decodeMessage(row, offset), sender };
  };
  return (row) => {
    const read = withSender(row, 0);
    if (read && quotes) read.quote = withSender(row, WITH_SENDER);
    return read;
  };
}

export interface HistoryRange {
  conversationId: string;
  /** Rows to read at most. */
  take: number;
  /** Sequences strictly after / before (null: unbounded). */
  after: number | null;
  before: number | null;
  /** Newest first (the page's last rows) instead of oldest first. */
  backward: boolean;
  /** The replies of this thread root; absent or null: the main history (thread replies left out). */
  threadRootId?: string | null;
  /** When given, the same statement checks that this user is a member of the conversation in this tenant. */
  viewer?: { tenantId: string; userId: string };
  /** Also read each message's quoted message (`replyTo`) and its sender, so a selection of them needs no query. */
  quotes?: boolean;
}

/**
 * One history page in one statement, in the order read (by sequence, descending when `backward`): the messages
 * (every column) with their senders, and with `quotes` their quoted messages with theirs. Null when `viewer` is
 * given and is not a member.
 */
export async function historyPage(query: SqlQuery, r: HistoryRange): Promise<HistoryRow[] | null> {
  const values: unknown[] = [r.conversationId, r.take];
  const bound = (op: '>' | '<', value: number | null) => (value === null ? '' : ` AND sequence ${op} $${values.push(value)}`);
  const thread = r.threadRootId ? ` AND "threadRootId" = $${values.push(r.threadRootId)}` : ' AND "threadRootId" IS NULL';
  // A viewer reads from what their membership lets them (a group whose history shows from joining on).
  const visible = r.viewer ? ' AND sequence >= cm."visibleFrom"' : '';
  const range = thread + visible + bound('>', r.after) + bound('<', r.before);
  const [from, where] = r.viewer
    ? [
        `"ConversationMember" cm JOIN "Conversation" c ON c.id = cm."conversationId" AND c."tenantId" = $${values.push(r.viewer.tenantId)}`,
        `WHERE cm."conversationId" = $1 AND cm."userId" = $${values.push(r.viewer.userId)}`,
      ]
    : ['(SELECT $1::text AS "conversationId") cm', ''];
  const order = r.backward ? 'DESC' : 'ASC';
  const [quoteSelect, quoteJoin] = r.quotes
    ? [`, ${QUOTE_SELECT}`, 'LEFT JOIN "Message" q ON q.id = m."replyToId" LEFT JOIN "User" qu ON qu.id = q."senderId"']
    : ['', ''];
  const rows = await decoded(
    query,
    `SELECT ${HISTORY_SELECT}${quoteSelect} FROM ${from}
       LEFT JOIN LATERAL (SELECT ${MESSAGE_SELECT} FROM "Message"
         WHERE "conversationId" = cm."conversationId"${range} ORDER BY sequence ${order} LIMIT $2) m ON true
       LEFT JOIN "User" u ON u.id = m."senderId" ${quoteJoin}
       ${where} ORDER BY m.sequence ${order}`,
    values,
    historyDecoder(r.quotes),
  );
  if (r.viewer && rows.length === 0) return null;
  return rows.filter((row) => row !== null);
}
