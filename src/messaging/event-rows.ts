// The rows a conversation event points at (its message, user, membership, conversation), loaded once per live event
// and selection and shared by every subscriber the event reaches on this instance, instead of once per subscriber
// (a message to a group of 1,000 would otherwise be 1,000 identical queries).
//
// A live message carries its rows (the message and its sender, as written: ConversationEventPayload.rows): a
// selection those rows answer (the message's own columns and its sender's, however nested as select or include)
// is answered from them (db/rows.ts), with no query at all. Anything else (the conversation, edits, a membership) is loaded.
//
// A busy topic goes further: before its next event is handed out, the selections its subscribers asked for lately
// are loaded (prepareEvent), so every subscriber's execution finds the rows ready and runs to the end without
// waiting. Otherwise a thousand executions would all start, all wait on the same load, and all stay alive at once.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { answer, known, type Known } from '../db/rows.ts';
import type { ConversationEventPayload } from './events.ts';
import { LRUCache } from 'lru-cache';

type Field = 'conversation' | 'message' | 'user' | 'member';
type Query = Record<string, unknown>;

const LOADERS: Record<Field, (prisma: PrismaClient, e: ConversationEventPayload, query: Query) => Promise<unknown> | null> = {
  conversation: (prisma, e, query) => prisma.conversation.findUniqueOrThrow({ ...query, where: { id: e.conversationId } }),
  message: (prisma, e, query) => (e.messageId ? prisma.message.findUnique({ ...query, where: { id: e.messageId } }) : null),
  user: (prisma, e, query) => (e.userId ? prisma.user.findUnique({ ...query, where: { id: e.userId } }) : null),
  member: (prisma, e, query) =>
    e.userId
      ? prisma.conversationMember.findUnique({
          ...query,
          where: { conversationId_userId: { conversationId: e.conversationId, userId: e.userId } },
        })
      : null,
};

/** Selections remembered per field for prepareEvent (the most recent few: clients rarely vary them). */
const RECENT_PER_FIELD = 4;

interface Load {
  settled: boolean;
  value: unknown;
  promise: Promise<unknown>;
}

/**
 * The rows of live events, shared by every subscriber of this app instance: loads and carried rows per event object
 * (forgotten with the event), and the selections subscribers asked for lately (what prepare() loads ahead).
 */
export class EventRows {
  private readonly carriedRows = new WeakMap<ConversationEventPayload, Partial<Record<Field, Known>>>();
  private readonly loads = new WeakMap<ConversationEventPayload, Map<string, Load>>();
  private readonly recent = new Map<Field, LRUCache<string, Query>>();

  /** The row for one subscriber's selection: the value itself when it is already loaded, else the shared load. */
  row(prisma: PrismaClient, event: ConversationEventPayload, field: Field, query: Query): unknown {
    const key = field + JSON.stringify(query);
    this.remember(field, key, query);
    const entry = this.start(prisma, event, field, key, query);
    if (!entry) return null;
    return entry.settled ? entry.value : entry.promise;
  }

  /** Loads the rows recent subscribers selected, before the event is handed out; never fails (a subscriber retries). */
  async prepare(prisma: PrismaClient, event: ConversationEventPayload): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const [field, queries] of this.recent) {
      for (const [key, query] of queries) {
        const entry = this.start(prisma, event, field, key, query);
        if (entry && !entry.settled) pending.push(entry.promise);
      }
    }
    await Promise.allSettled(pending);
  }

  /** The rows the event carries, by the event field they answer (the sender is also the event's `user`). */
  private carried(event: ConversationEventPayload): Partial<Record<Field, Known>> {
    let rows = this.carriedRows.get(event);
    if (rows) return rows;
    rows = {};
    const { message, user } = event.rows ?? {};
    const sender = user ? known('User', user) : undefined;
    if (message) rows.message = known('Message', message, sender && message.senderId === sender.row.id ? { sender } : {});
    if (sender && event.userId === sender.row.id) rows.user = sender;
    this.carriedRows.set(event, rows);
    return rows;
  }

  private remember(field: Field, key: string, query: Query) {
    let queries = this.recent.get(field);
    if (!queries) this.recent.set(field, (queries = new LRUCache({ max: RECENT_PER_FIELD })));
    if (!queries.has(key)) queries.set(key, query);
  }

  private start(prisma: PrismaClient, event: ConversationEventPayload, field: Field, key: string, query: Query): Load | null {
    let forEvent = this.loads.get(event);
    if (!forEvent) this.loads.set(event, (forEvent = new Map()));
    const existing = forEvent.get(key);
    if (existing) return existing;
    const inHand = event.rows && this.carried(event)[field];
    const value = inHand && answer(query, inHand);
    if (value) {
      const entry: Load = { settled: true, value, promise: Promise.resolve(value) };
      forEvent.set(key, entry);
      return entry;
    }
    const promise = LOADERS[field](prisma, event, query);
    if (!promise) return null;
    const entry: Load = { settled: false, value: undefined, promise };
    forEvent.set(key, entry);
    promise.then(
      (value) => Object.assign(entry, { settled: true, value }),
      () => forEvent.delete(key), // a failed load is retried by the next subscriber, not shared
    );
    return entry;
  }
}
