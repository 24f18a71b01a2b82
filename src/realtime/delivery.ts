// What waits between the event bus and one consumer. Events are pushed synchronously (by a fan-out, or by the bus
// itself) whatever the consumer does, and a consumer may stop reading for good: graphql-ws waits for each send to
// reach the socket, so a client that stops reading its socket stops pulling events. What such a consumer costs must
// stay bounded, and nothing may throw back into the code that pushes (an exception in a bus listener ends the
// process). So at most `maxQueued` events wait; with `keyOf` an event replaces the waiting one of the same key
// (presence, typing: only each user's latest state matters), and the bound is on distinct keys. Past the bound a
// subscriber's stream ends: its queue is freed at once and its next read fails with SLOW_CONSUMER, so the client
// subscribes again and re-reads current state instead of silently missing events. The bus's own subscriptions,
// whose readers are in-process listeners that must keep running, drop their oldest event instead.
import { AppError } from '../errors.ts';

export interface Follow {
  /** Resolves once events published from now on will reach the listener (on Redis: SUBSCRIBE acknowledged). */
  ready: Promise<void>;
  /** Stops listening. */
  close(): void;
}

export interface DeliveryOptions<E> {
  /** Events (with keyOf: distinct keys) that may wait for the consumer. */
  maxQueued: number;
  /** Coalesces: an event replaces the waiting event with the same key, keeping its place. */
  keyOf?: (event: E) => string;
  /**
   * Checked as each event is handed to the consumer, not as it arrives, so events that are coalesced away or wait
   * for a stalled consumer cost no check; false skips the event. A failure ends the stream with that error.
   */
  accept?: (event: E) => boolean | Promise<boolean>;
  /** Past maxQueued: end the stream with SLOW_CONSUMER (default), or drop the oldest waiting event. */
  overflow?: 'end' | 'drop-oldest';
  /** Told when the bound is first reached (again after the consumer has caught up). */
  onOverflow?: () => void;
}

/** The error a subscriber that fell too far behind gets on its next read. */
export const slowConsumer = () =>
  new AppError(
    'SLOW_CONSUMER',
    'This subscription fell too far behind its events and was ended; subscribe again and re-read current state.',
  );

/**
 * A bounded (optionally coalescing) queue read as an async iterator; `start` begins pushing events into it and
 * returns the way to stop. return() stops at once, even while next() waits. A class: many are open at once.
 */
export class Delivery<E> implements AsyncIterableIterator<E> {
  /** Waiting events in delivery order, by key (a running number when events are not coalesced). */
  private readonly queue = new Map<unknown, E>();
  private counter = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  private failure: unknown = undefined;
  private overflowed = false;
  private readonly follow: Follow;
  readonly ready: Promise<void>;

  constructor(
    start: (push: (event: E) => void) => Follow,
    private readonly opts: DeliveryOptions<E>,
  ) {
    this.follow = start((event) => this.push(event));
    this.ready = this.follow.ready;
  }

  /** Events waiting for the consumer now. */
  queued(): number {
    return this.queue.size;
  }

  private push(event: E) {
    if (this.closed) return;
    const key = this.opts.keyOf ? this.opts.keyOf(event) : this.counter++;
    if (this.queue.size >= this.opts.maxQueued && !this.queue.has(key)) {
      if (!this.overflowed) {
        this.overflowed = true;
        this.opts.onOverflow?.();
      }
      if (this.opts.overflow !== 'drop-oldest') return this.end(slowConsumer());
      this.queue.delete(this.queue.keys().next().value);
    }
    this.queue.set(key, event);
    this.wakeUp();
  }

  async next(): Promise<IteratorResult<E>> {
    for (;;) {
      const first = this.queue.entries().next();
      if (!first.done) {
        const [key, event] = first.value;
        this.queue.delete(key);
        if (this.queue.size === 0) this.overflowed = false;
        if (await this.accepts(event)) return { value: event, done: false };
        continue;
      }
      if (this.failure !== undefined) {
        const failure = this.failure;
        this.failure = undefined;
        throw failure;
      }
      if (this.closed) return { value: undefined, done: true };
      await new Promise<void>((resolve) => {
        const earlier = this.wake; // a second next() while one waits: wake both
        this.wake = earlier ? () => (earlier(), resolve()) : resolve;
      });
    }
  }

  private async accepts(event: E): Promise<boolean> {
    if (!this.opts.accept) return true;
    try {
      return (await this.opts.accept(event)) && !this.closed;
    } catch (err) {
      this.end(err);
      return false;
    }
  }

  return(): Promise<IteratorResult<E>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  async throw(err?: unknown): Promise<IteratorResult<E>> {
    this.end();
    throw err;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  /** Stops listening and frees the queue; with `failure`, the consumer's next read fails with it. */
  private end(failure?: unknown) {
    if (this.closed) return;
    this.closed = true;
    this.failure = failure;
    this.queue.clear();
    this.follow.close();
    this.wakeUp();
  }

  private wakeUp() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
