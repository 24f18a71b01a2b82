// One bus subscription per topic id per process, shared by every stream that follows it. A thousand sockets
// following one conversation cost one listener on the bus (one Redis SUBSCRIBE), and each event is handed to the
// followers by a plain synchronous loop instead of a chain of async iterators per follower.
import type { ParleyPubSub, Topics } from './pubsub.ts';
import { Delivery, type Follow } from './delivery.ts';
import { Reorderer, type ReorderOptions } from './reorder.ts';

export type { Follow };

type IdTopic = { [K in keyof Topics]: Topics[K] extends [string, unknown] ? K : never }[keyof Topics];
type EventOf<K extends IdTopic> = Topics[K][1];
type PlainTopic = { [K in keyof Topics]: Topics[K] extends [unknown] ? K : never }[keyof Topics];
type PlainEventOf<K extends PlainTopic> = Topics[K][0];

interface Entry<E> {
  listeners: Set<(event: E) => void>;
  /** Per listener: what to do when the bus is back after an outage (events may have been lost meanwhile). */
  resyncs: Map<(event: E) => void, () => void>;
  ready: Promise<void>;
  end(): void;
}

export class TopicFanout<K extends IdTopic> {
  private readonly entries = new Map<string, Entry<EventOf<K>>>();

  private readonly prepare?: (event: EventOf<K>) => Promise<void>;
  private readonly prepareFrom: number;
  private readonly intern: (event: EventOf<K>) => EventOf<K>;
  private readonly order?: ReorderOptions<EventOf<K>>;

  /**
   * @param opts.prepare runs before an event is handed to a topic's followers once there are at least `prepareFrom`
   *   (default 8) of them (e.g. loading what they will all ask for); events of that topic wait for it, in order.
   * @param opts.intern maps each event as it arrives, before anything else sees it (e.g. to one object per event
   *   across topics).
   * @param opts.order puts each topic's events back in sequence order per key before they are handed out (see
   *   reorder.ts): publishes that crossed on the way are swapped back instead of sending every follower to the log.
   */
  constructor(
    private readonly pubsub: ParleyPubSub,
    private readonly topic: K,
    private readonly onError: (err: unknown) => void,
    opts: {
      prepare?: (event: EventOf<K>) => Promise<void>;
      prepareFrom?: number;
      intern?: (event: EventOf<K>) => EventOf<K>;
      order?: ReorderOptions<EventOf<K>>;
    } = {},
  ) {
    this.prepare = opts.prepare;
    this.order = opts.order;
    this.prepareFrom = opts.prepareFrom ?? 8;
    this.intern = opts.intern ?? ((event) => event);
    pubsub.onReconnect?.(() => {
      for (const entry of this.entries.values()) for (const resync of entry.resyncs.values()) resync();
    });
  }

  /**
   * Calls `listener` synchronously for every event published on `<topic>:<id>` until closed, and `onResync` when
   * the bus comes back after an outage (events published during it never arrive).
   */
  follow(id: string, listener: (event: EventOf<K>) => void, onResync?: () => void): Follow {
    let entry = this.entries.get(id);
    if (!entry) entry = this.open(id);
    entry.listeners.add(listener);
    if (onResync) entry.resyncs.set(listener, onResync);
    const own = entry;
    return {
      ready: own.ready,
      close: () => {
        own.resyncs.delete(listener);
        if (!own.listeners.delete(listener) || own.listeners.size > 0) return;
        if (this.entries.get(id) === own) this.entries.delete(id);
        own.end();
      },
    };
  }

  /** Topic ids with at least one follower (for metrics and tests). */
  size(): number {
    return this.entries.size;
  }

  /** Ends every topic's bus subscription and reorder timer; follows still open stay silent. */
  close() {
    const open = [...this.entries.values()];
    this.entries.clear();
    for (const entry of open) {
      entry.listeners.clear(); // a follow closed later finds nothing left to end
      entry.end();
    }
  }

  private open(id: string): Entry<EventOf<K>> {
    const source = (this.pubsub.subscribe as (t: K, id: string) => AsyncIterable<EventOf<K>>)(this.topic, id);
    const listeners = new Set<(event: EventOf<K>) => void>();
    const handOut = async (event: EventOf<K>) => {
      if (this.prepare && listeners.size >= this.prepareFrom) await this.prepare(event).catch(this.onError);
      for (const listener of listeners) call(listener, event, this.onError);
    };
    // One event at a time, in the order released: the bus's (the pump waits for each) or the reorderer's, whose
    // held events may also be released by its timer.
    let handing: Promise<void> = Promise.resolve();
    const release = (events: EventOf<K>[]) => {
      for (const event of events) handing = handing.then(() => handOut(event));
      return handing;
    };
    const reorder = this.order ? new Reorderer(this.order, release) : null;
    const stop = pump(source, this.onError, (arrived) => {
      const event = this.intern(arrived);
      return release(reorder ? reorder.push(event) : [event]);
    });
    const end = () => {
      stop();
      reorder?.close();
    };
    const entry: Entry<EventOf<K>> = {
      listeners,
      resyncs: new Map(),
      ready: this.pubsub.ready?.(this.topic, id) ?? Promise.resolve(),
      end,
    };
    this.entries.set(id, entry);
    return entry;
  }
}

/**
 * One bus subscription for a topic without ids (sessions:revoked), its events handed only to the followers of the
 * key `keyOf` reads from each (the user id): an event wakes the streams it concerns, not every stream of the topic.
 */
export class KeyedFanout<K extends PlainTopic> {
  private readonly followers = new Map<string, Set<(event: PlainEventOf<K>) => void>>();
  private end: (() => void) | null = null;
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly pubsub: ParleyPubSub,
    private readonly topic: K,
    private readonly keyOf: (event: PlainEventOf<K>) => string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Ends the bus subscription; follows still open stay silent. */
  close() {
    this.followers.clear();
    this.end?.();
    this.end = null;
  }

  /** Calls `listener` synchronously for every event of `key` until closed. */
  follow(key: string, listener: (event: PlainEventOf<K>) => void): Follow {
    if (!this.end) {
      const source = (this.pubsub.subscribe as (t: K) => AsyncIterable<PlainEventOf<K>>)(this.topic);
      this.end = pump(source, this.onError, (event) => {
        for (const l of this.followers.get(this.keyOf(event)) ?? []) call(l, event, this.onError);
      });
      this.ready = this.pubsub.ready?.(this.topic) ?? Promise.resolve();
    }
    let listeners = this.followers.get(key);
    if (!listeners) this.followers.set(key, (listeners = new Set()));
    listeners.add(listener);
    const own = listeners;
    return {
      ready: this.ready,
      close: () => {
        if (!own.delete(listener) || own.size > 0) return;
        if (this.followers.get(key) === own) this.followers.delete(key);
        if (this.followers.size === 0 && this.end) {
          this.end();
          this.end = null;
        }
      },
    };
  }
}

function call<E>(listener: (event: E) => void, event: E, onError: (err: unknown) => void) {
  try {
    listener(event);
  } catch (err) {
    onError(err);
  }
}

/**
 * Reads a bus subscription until it ends, handing each event to `deliver` (awaited when it returns a promise, so
 * events stay in order); returns the way to end it.
 */
function pump<E>(source: AsyncIterable<E>, onError: (err: unknown) => void, deliver: (event: E) => void | Promise<void>): () => void {
  const iterator = source[Symbol.asyncIterator]();
  void (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const delivered = deliver(next.value);
      if (delivered) await delivered;
    }
  })().catch(onError);
  return () => void iterator.return?.();
}

/**
 * A subscription's events as a plain async iterator over a follow: at most `maxQueued` wait for a consumer that
 * does not read (past that the stream ends with SLOW_CONSUMER; see delivery.ts), and return() closes the follow at
 * once, even while next() waits.
 */
export function followed<E>(start: (push: (event: E) => void) => Follow, maxQueued = 1000): Delivery<E> {
  return new Delivery(start, { maxQueued });
}
