// conversationEvents: a gap-free, duplicate-free stream of one conversation's events (conversation-stream.ts), or of
// every conversation of the viewer (inbox.ts); both are a LogStream, here. The topic is followed FIRST (on Redis:
// until SUBSCRIBE is acknowledged), then the log is replayed (after `afterSequence`; the inbox: after its cursor),
// then live events run through the same gate: an event at or below the last delivered sequence of its conversation
// is dropped, one past a jump pulls the missing range from the log. Membership is checked once, when the stream
// starts (by the caller); after that the log itself says when it ends: events are delivered in sequence order, so
// the viewer's own MEMBER_LEFT is the last one they get.
//
// The common case costs no SQL and no promise: the next consecutive event goes straight into the stream's queue.
// Asynchronous work (replay, gap fill, a conversation the inbox has not followed yet) runs one task at a time,
// with later events waiting behind it, so order holds. A consumer that falls more than MAX_QUEUED events behind
// stops queueing; once it has drained its queue the missed range is read back from the log, so a slow socket
// costs memory for at most MAX_QUEUED events and loses nothing.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Follow } from '../realtime/fanout.ts';
import { nextOf, type Pullable, type Sink } from '../realtime/pull.ts';
import { toPayload, type ConversationEventPayload } from './events.ts';
import type { EventTopics } from './event-topics.ts';

const REPLAY_BATCH = 200;
const MAX_QUEUED = 1000;

export interface StreamOptions {
  prisma: PrismaClient;
  /** The app's conversation and inbox topics (services.eventTopics). */
  topics: EventTopics;
  viewerId: string;
  /** Where a failure inside the stream is reported (it also ends the stream with that error). */
  onError?: (err: unknown) => void;
  /** Events held for a slow consumer before the rest is left in the log to read back (default MAX_QUEUED). */
  maxQueued?: number;
}

export interface ConversationStream extends AsyncIterableIterator<ConversationEventPayload>, Pullable<ConversationEventPayload> {
  /** Events waiting for the consumer now (at most maxQueued). */
  queued(): number;
}

type Task = () => void | Promise<unknown>;

/** The queue, the task chain and the sequence gate every conversationEvents stream shares. */
export abstract class LogStream implements ConversationStream {
  protected readonly prisma: PrismaClient;
  protected readonly viewerId: string;
  /** Conversation -> last delivered (or queued, or passed over) sequence. */
  protected readonly last = new Map<string, number>();
  /** Conversation -> newest sequence left in the log while the queue was full. */
  private readonly behind = new Map<string, number>();
  /** Set by a subclass whose own work waits for the consumer to drain the queue (see drained()). */
  protected paused = false;
  protected ended = false;
  /** The event the consumer took last, and what the stream noted with it when it was queued. */
  protected taken: ConversationEventPayload | null = null;
  protected takenNote: unknown = undefined;

  // --- the consumer side: a queue (with a note per event) and at most one waiting pull (or next())
  private readonly queue: ConversationEventPayload[] = [];
  private readonly notes: unknown[] = [];
  private waiter: Sink<ConversationEventPayload> | null = null;
  private failure: unknown = null;
  private readonly maxQueued: number;
  private readonly onError?: (err: unknown) => void;
  private follow: Follow | null = null;

  // --- one asynchronous task at a time; synchronous ones run at once when nothing is pending
  private pending = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(o: StreamOptions) {
    this.prisma = o.prisma;
    this.viewerId = o.viewerId;
    this.maxQueued = o.maxQueued ?? MAX_QUEUED;
    this.onError = o.onError;
  }

  /** The first task (replay, starting points): live events queue behind it. */
  protected abstract start(): Promise<void>;
  /** The bus was away (events published meanwhile never arrive): read whatever is newer from the log. */
  protected abstract resync(): void | Promise<unknown>;
  /** Takes the next consecutive event of its conversation (queues it, or passes over it); false ends the batch. */
  protected abstract take(event: ConversationEventPayload): boolean;
  /** An event of a conversation the stream has no place in yet. */
  protected untracked(_event: ConversationEventPayload): void | Promise<unknown> {}
  /** Before reading the conversation's log up to `upTo`: false when there is nothing to read, or nothing now. */
  protected beforeRead(_conversationId: string, _upTo: number): boolean | Promise<boolean> {
    return true;
  }
  /** The consumer drained its queue while `paused`. */
  protected drained(): void {}

  /**
   * Follows the topic (`follow` opens it with the stream's handlers for events and for a resync), then starts:
   * whatever commits from here on is either in the replay or arrives live.
   */
  protected open(follow: (arrive: (event: ConversationEventPayload) => void, resync: () => void) => Follow) {
    const opened = follow(
      (event) => this.arrive(event),
      () => this.run(() => this.resync()),
    );
    this.follow = opened;
    this.pending++;
    this.tail = opened.ready
      .then(() => (this.ended ? undefined : this.start()))
      .catch((err) => this.end(err))
      .finally(() => this.pending--);
  }

  protected emit(event: ConversationEventPayload, note?: unknown) {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      this.handOut(event, note);
      w.onValue(event);
    } else {
      this.queue.push(event);
      this.notes.push(note);
    }
  }

  protected end(err?: unknown) {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) {
      this.failure = err;
      this.onError?.(err);
    }
    this.follow?.close();
    if (this.waiter && !this.queue.length) {
      const w = this.waiter;
      this.waiter = null;
      if (this.failure !== null) w.onError(this.failure);
      else w.onDone();
    }
  }

  protected run(task: Task) {
    if (this.ended) return;
    if (this.pending > 0) return this.later(task);
    this.track(task());
  }

  /** A live event from the topic: run() for handle(), without a task per event when nothing is pending. */
  private arrive(event: ConversationEventPayload) {
    if (this.ended) return;
    if (this.pending > 0) return this.later(() => this.handle(event));
    this.track(this.handle(event));
  }

  /** Keeps later tasks behind one that started and went asynchronous. */
  private track(started: void | Promise<unknown>) {
    if (!started) return;
    this.pending++;
    this.tail = started.catch((err) => this.end(err)).finally(() => this.pending--);
  }

  /** Runs `task` after everything scheduled so far, never synchronously. */
  protected later(task: Task) {
    if (this.ended) return;
    this.pending++;
    this.tail = this.tail
      .then(() => (this.ended ? undefined : task()))
      .catch((err) => this.end(err))
      .finally(() => this.pending--);
  }

  private async logRange(conversationId: string, after: number, upTo: number) {
    const rows = await this.prisma.conversationEvent.findMany({
      where: { conversationId, sequence: { gt: after, lte: upTo } },
      orderBy: { sequence: 'asc' },
      take: REPLAY_BATCH,
    });
    return rows.map(toPayload);
  }

  private markBehind(conversationId: string, sequence: number) {
    this.behind.set(conversationId, Math.max(this.behind.get(conversationId) ?? 0, sequence));
  }

  /** Takes consecutive events (starting right after `last`); a full queue leaves the rest behind. False: take() declined. */
  protected deliver(conversationId: string, events: ConversationEventPayload[]): boolean {
    for (const event of events) {
      if (this.queue.length >= this.maxQueued) {
        this.markBehind(conversationId, events.at(-1)!.sequence);
        return true;
      }
      if (!this.take(event)) return false;
    }
    return true;
  }

  /**
   * Reads events after `last` up to `upTo` from the log, in batches, and delivers them. False when it stopped short:
   * the queue is full (the rest is read back once the consumer drained it), the stream ended, or the subclass
   * declined the rest (beforeRead or take).
   */
  protected async catchUp(conversationId: string, upTo: number): Promise<boolean> {
    for (;;) {
      if (this.ended) return false;
      if (this.last.get(conversationId)! >= upTo) return true;
      const go = this.beforeRead(conversationId, upTo);
      if (!(go === true || (go !== false && (await go)))) return !this.ended && this.last.get(conversationId)! >= upTo;
      const after = this.last.get(conversationId)!;
      if (after >= upTo) continue;
      if (this.queue.length >= this.maxQueued) {
        this.markBehind(conversationId, upTo);
        return false;
      }
      const batch = await this.logRange(conversationId, after, upTo);
      if (this.ended) return false;
      if (!batch.length) return true; // nothing more in the log: the conversation is gone
      if (!this.deliver(conversationId, batch)) return false;
    }
  }

  protected handle(event: ConversationEventPayload): void | Promise<unknown> {
    if (event.delta) return this.passDelta(event);
    const cid = event.conversationId;
    const seen = this.last.get(cid);
    if (seen === undefined) return this.untracked(event);
    if (event.sequence <= seen) return;
    if (this.queue.length >= this.maxQueued || this.behind.has(cid)) return this.markBehind(cid, event.sequence);
    if (event.sequence > seen + 1) return this.catchUp(cid, event.sequence);
    this.deliver(cid, [event]);
  }

  /**
   * A MESSAGE_DELTA (not in the log, never read back): queued when the stream has delivered its message's
   * MESSAGE_ADDED (the delta carries that sequence) and is not behind there. Else it is dropped: a stream that meets
   * the message later gets its text so far with it (Message.content), and MESSAGE_COMPLETED carries all of it.
   */
  private passDelta(event: ConversationEventPayload) {
    const cid = event.conversationId;
    const seen = this.last.get(cid);
    if (seen === undefined || event.sequence > seen || this.queue.length >= this.maxQueued || this.behind.has(cid)) return;
    if (this.showsDelta(event)) this.emit(event, this.positionNote());
  }

  /** Whether the viewer sees a delta of a conversation whose MESSAGE_ADDED the stream passed. */
  protected showsDelta(_event: ConversationEventPayload): boolean {
    return true;
  }

  /** What an event is noted with when queued (the inbox: where the client stands; a delta leaves it unchanged). */
  protected positionNote(): unknown {
    return undefined;
  }

  /** After the consumer drained the queue: read back what was dropped while it was full. */
  private resume() {
    for (const [cid, upTo] of [...this.behind]) {
      this.behind.delete(cid);
      this.run(() => this.catchUp(cid, upTo));
    }
    if (this.paused) {
      this.paused = false;
      this.drained();
    }
  }

  private handOut(event: ConversationEventPayload, note: unknown) {
    this.taken = event;
    this.takenNote = note;
  }

  queued(): number {
    return this.queue.length;
  }

  /** Hands the next event to `sink`: at once when one is queued (or the stream has ended), else when one arrives. */
  pull(sink: Sink<ConversationEventPayload>): void {
    const value = this.queue.shift();
    if (value !== undefined) {
      this.handOut(value, this.notes.shift());
      if (!this.queue.length && (this.behind.size || this.paused)) this.resume();
      return sink.onValue(value);
    }
    if (this.ended) return this.failure !== null ? sink.onError(this.failure) : sink.onDone();
    if (this.behind.size || this.paused) this.resume();
    this.waiter = sink;
  }

  next(): Promise<IteratorResult<ConversationEventPayload>> {
    return nextOf(this);
  }

  return(): Promise<IteratorResult<ConversationEventPayload>> {
    this.queue.length = 0;
    this.notes.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
