// conversationEvents: a gap-free, duplicate-free stream of one conversation's events (or of every conversation of
// the viewer). The topic is followed FIRST (on Redis: until SUBSCRIBE is acknowledged), then the log is replayed
// after `afterSequence`, then live events run through the same gate: an event at or below the last delivered
// sequence is dropped, one past a jump pulls the missing range from the log. Membership is checked once, when the
// stream starts (by the caller, or here for the inbox); after that the log itself says when it ends: events are
// delivered in sequence order, so the viewer's own MEMBER_LEFT is the last one they get.
//
// The common case costs no SQL and no promise: the next consecutive event goes straight into the stream's queue.
// Asynchronous work (replay, gap fill, a conversation the inbox has not followed yet) runs one task at a time,
// with later events waiting behind it, so order holds. A consumer that falls more than MAX_QUEUED events behind
// stops queueing; once it has drained its queue the missed range is read back from the log, so a slow socket
// costs memory for at most MAX_QUEUED events and loses nothing.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { TopicFanout } from '../realtime/fanout.ts';
import { toPayload, type ConversationEventPayload } from './events.ts';
import { prepareEvent } from './event-rows.ts';

const REPLAY_BATCH = 200;
const MAX_SEQUENCE = 2 ** 31 - 1; // sequences are PostgreSQL integers
const MAX_QUEUED = 1000;

export interface StreamOptions {
  prisma: PrismaClient;
  pubsub: ParleyPubSub;
  viewerId: string;
  /** One conversation (the caller has checked membership), or null for the viewer's inbox. */
  conversationId: string | null;
  /** Replay stored events after this sequence first (one conversation only). */
  afterSequence: number | null;
  /** The conversation's lastSequence when the caller checked membership (start point without afterSequence). */
  startSequence: number;
  /** Where a failure inside the stream is reported (it also ends the stream with that error). */
  onError?: (err: unknown) => void;
  /** Events held for a slow consumer before the rest is left in the log to read back (default MAX_QUEUED). */
  maxQueued?: number;
}

export interface ConversationStream extends AsyncIterableIterator<ConversationEventPayload> {
  /** Events waiting for the consumer now (at most maxQueued). */
  queued(): number;
}

/** Events remembered by internEvent (a few seconds' worth on a busy server; copies arrive within milliseconds). */
const INTERNED = 1000;

/**
 * One object per event: copies of an event that reach this process on several topics (the conversation's, and on
 * Redis every member's inbox topic, each a message of its own) become the first one seen, so every stream of the
 * event shares its loaded rows (event-rows.ts) and its execution (shared-events.ts) instead of each copy paying
 * for its own. The conversation topic is published first, so the copy kept is the one that carries rows.
 */
export function eventInterner(max = INTERNED) {
  const recent = new Map<string, ConversationEventPayload>();
  return (event: ConversationEventPayload): ConversationEventPayload => {
    const key = `${event.conversationId}:${event.sequence}`;
    const seen = recent.get(key);
    if (seen && seen.type === event.type) return seen;
    recent.set(key, event);
    if (recent.size > max) recent.delete(recent.keys().next().value!);
    return event;
  };
}

const fanouts = new WeakMap<ParleyPubSub, { conversation: TopicFanout<'conversation:event'>; inbox: TopicFanout<'user:event'> }>();
function fanoutsOf(pubsub: ParleyPubSub, onError: (err: unknown) => void, prepare: (event: ConversationEventPayload) => Promise<void>) {
  let f = fanouts.get(pubsub);
  if (!f) {
    const intern = eventInterner();
    f = {
      conversation: new TopicFanout(pubsub, 'conversation:event', onError, { prepare, intern }),
      inbox: new TopicFanout(pubsub, 'user:event', onError, { intern }),
    };
    fanouts.set(pubsub, f);
  }
  return f;
}

/** Conversation and inbox topics this instance follows on the bus (one subscription each, however many streams). */
export function followedTopics(pubsub: ParleyPubSub): number {
  const f = fanouts.get(pubsub);
  return f ? f.conversation.size() + f.inbox.size() : 0;
}

type Task = () => void | Promise<void>;

export function conversationStream(o: StreamOptions): ConversationStream {
  const { prisma, viewerId } = o;
  const maxQueued = o.maxQueued ?? MAX_QUEUED;
  const last = new Map<string, number>(); // conversation -> last delivered (or queued) sequence
  const gone = new Set<string>(); // conversations the viewer was removed from (inbox)
  const behind = new Map<string, number>(); // conversation -> newest sequence dropped while the queue was full

  // --- the consumer side: a queue and at most one waiting next()
  const queue: ConversationEventPayload[] = [];
  let waiter: { resolve: (r: IteratorResult<ConversationEventPayload>) => void; reject: (e: unknown) => void } | null = null;
  let ended = false; // no more events will be queued
  let failure: unknown = null;

  const emit = (event: ConversationEventPayload) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w.resolve({ value: event, done: false });
    } else queue.push(event);
  };
  const end = (err?: unknown) => {
    if (ended) return;
    ended = true;
    if (err !== undefined) {
      failure = err;
      o.onError?.(err);
    }
    follow.close();
    if (waiter && !queue.length) {
      const w = waiter;
      waiter = null;
      if (failure !== null) w.reject(failure);
      else w.resolve({ value: undefined, done: true });
    }
  };

  // --- one asynchronous task at a time; synchronous ones run at once when nothing is pending
  let pending = 0;
  let tail: Promise<void> = Promise.resolve();
  const run = (task: Task) => {
    if (ended) return;
    if (pending === 0) {
      const started = task();
      if (!started) return;
      pending++;
      tail = started.catch(end).finally(() => pending--);
      return;
    }
    pending++;
    tail = tail
      .then(() => (ended ? undefined : task()))
      .catch(end)
      .finally(() => pending--);
  };

  const logRange = async (conversationId: string, after: number, upTo: number) =>
    (
      await prisma.conversationEvent.findMany({
        where: { conversationId, sequence: { gt: after, lte: upTo } },
        orderBy: { sequence: 'asc' },
        take: REPLAY_BATCH,
      })
    ).map(toPayload);

  /**
   * Queues events (consecutive, starting right after `last`). Events up to `trustedUpTo` are ones the viewer could
   * see when the stream started (a replay); after it, the viewer's own MEMBER_LEFT ends what they see.
   */
  const deliver = (conversationId: string, events: ConversationEventPayload[], trustedUpTo = 0) => {
    for (const event of events) {
      if (queue.length >= maxQueued) {
        behind.set(conversationId, Math.max(behind.get(conversationId) ?? 0, events.at(-1)!.sequence));
        return;
      }
      emit(event);
      last.set(conversationId, event.sequence);
      if (event.sequence > trustedUpTo && event.type === 'MEMBER_LEFT' && event.userId === viewerId) {
        gone.add(conversationId);
        if (o.conversationId) end();
        return;
      }
    }
  };

  /** Reads events after `last` up to `upTo` from the log, in batches, and delivers them. */
  const catchUp = async (conversationId: string, upTo: number, trustedUpTo = 0) => {
    for (;;) {
      const after = last.get(conversationId)!;
      if (after >= upTo || ended || gone.has(conversationId)) return;
      if (queue.length >= maxQueued) {
        behind.set(conversationId, Math.max(behind.get(conversationId) ?? 0, upTo));
        return;
      }
      const batch = await logRange(conversationId, after, upTo);
      if (!batch.length) return;
      deliver(conversationId, batch, trustedUpTo);
    }
  };

  const startFollowing = async (cid: string) => {
    // A conversation the inbox has not followed yet (or was removed from): start at the viewer's latest join.
    if (!(await prisma.conversationMember.count({ where: { conversationId: cid, userId: viewerId } }))) return false;
    const joined = await prisma.conversationEvent.findFirst({
      where: { conversationId: cid, type: 'MEMBER_JOINED', userId: viewerId },
      orderBy: { sequence: 'desc' },
      select: { sequence: true },
    });
    if (!joined) return false;
    gone.delete(cid);
    behind.delete(cid);
    last.set(cid, joined.sequence - 1);
    return true;
  };

  const handle = (event: ConversationEventPayload): void | Promise<void> => {
    const cid = event.conversationId;
    const seen = last.get(cid);
    if (seen === undefined || gone.has(cid)) {
      return startFollowing(cid).then((following) => {
        if (following) return handle(event);
      });
    }
    if (event.sequence <= seen) return;
    if (queue.length >= maxQueued || behind.has(cid)) {
      behind.set(cid, Math.max(behind.get(cid) ?? 0, event.sequence));
      return;
    }
    if (event.sequence === seen + 1) return deliver(cid, [event]);
    return catchUp(cid, event.sequence);
  };

  /** The viewer's conversations with their latest sequence (the inbox's starting points). */
  const latestSequences = () =>
    prisma.conversationMember.findMany({
      where: { userId: viewerId },
      select: { conversationId: true, conversation: { select: { lastSequence: true } } },
    });

  /** The bus was away (events published meanwhile never arrive): read whatever is newer than `last` from the log. */
  const resync = async () => {
    if (o.conversationId) return catchUp(o.conversationId, MAX_SEQUENCE, o.startSequence);
    const memberships = await latestSequences();
    for (const m of memberships) {
      const cid = m.conversationId;
      if (last.get(cid) === undefined || gone.has(cid)) {
        if (!(await startFollowing(cid))) continue;
      }
      await catchUp(cid, m.conversation.lastSequence);
    }
  };

  // A busy conversation's next event has its rows loaded before it is handed out (see event-rows.ts).
  const fanout = fanoutsOf(o.pubsub, (err) => o.onError?.(err), (event) => prepareEvent(prisma, event));
  // Follow before reading the log: whatever commits from here on is either in the replay or arrives live.
  const onEvent = (event: ConversationEventPayload) => run(() => handle(event));
  const onResync = () => run(resync);
  const follow = o.conversationId
    ? fanout.conversation.follow(o.conversationId, onEvent, onResync)
    : fanout.inbox.follow(viewerId, onEvent, onResync);

  // The start (replay or the inbox's starting points) is the first task: live events queue behind it.
  pending++;
  tail = (async () => {
    await follow.ready;
    if (o.conversationId) {
      last.set(o.conversationId, o.afterSequence ?? o.startSequence);
      if (o.afterSequence !== null) await catchUp(o.conversationId, MAX_SEQUENCE, o.startSequence);
    } else {
      const memberships = await latestSequences();
      for (const m of memberships) last.set(m.conversationId, m.conversation.lastSequence);
    }
  })()
    .catch(end)
    .finally(() => pending--);

  /** After the consumer drained the queue: read back what was dropped while it was full. */
  const resume = () => {
    for (const [cid, upTo] of [...behind]) {
      behind.delete(cid);
      run(() => catchUp(cid, upTo, o.conversationId ? o.startSequence : 0));
    }
  };

  const iterator: ConversationStream = {
    queued: () => queue.length,
    next() {
      const value = queue.shift();
      if (value !== undefined) {
        if (!queue.length && behind.size) resume();
        return Promise.resolve({ value, done: false });
      }
      if (ended) return failure !== null ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
      if (behind.size) resume();
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    return() {
      queue.length = 0;
      end();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: returnThis,
  };
  return iterator;
}

/** The one `[Symbol.asyncIterator]` of every stream (a method per stream would be a closure, and a name, per stream). */
function returnThis<T>(this: T): T {
  return this;
}
