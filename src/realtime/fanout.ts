// One bus subscription per topic id per process, shared by every stream that follows it. A thousand sockets
// following one conversation cost one listener on the bus (one Redis SUBSCRIBE), and each event is handed to the
// followers by a plain synchronous loop instead of a chain of async iterators per follower.
import type { ParleyPubSub, Topics } from './pubsub.ts';

type IdTopic = { [K in keyof Topics]: Topics[K] extends [string, unknown] ? K : never }[keyof Topics];
type EventOf<K extends IdTopic> = Topics[K][1];

export interface Follow {
  /** Resolves once events published from now on will reach the listener (on Redis: SUBSCRIBE acknowledged). */
  ready: Promise<void>;
  /** Stops listening; the bus subscription ends with the last follower. */
  close(): void;
}

interface Entry<E> {
  listeners: Set<(event: E) => void>;
  /** Per listener: what to do when the bus is back after an outage (events may have been lost meanwhile). */
  resyncs: Map<(event: E) => void, () => void>;
  ready: Promise<void>;
  end(): void;
}

export class TopicFanout<K extends IdTopic> {
  private readonly entries = new Map<string, Entry<EventOf<K>>>();

  /**
   * @param prepare runs before an event is handed to a topic's followers once there are at least `prepareFrom` of
   *   them (e.g. loading what they will all ask for); events of that topic wait for it, in order.
   */
  constructor(
    private readonly pubsub: ParleyPubSub,
    private readonly topic: K,
    private readonly onError: (err: unknown) => void,
    private readonly prepare?: (event: EventOf<K>) => Promise<void>,
    private readonly prepareFrom = 8,
  ) {
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

  private open(id: string): Entry<EventOf<K>> {
    const source = (this.pubsub.subscribe as (t: K, id: string) => AsyncIterable<EventOf<K>>)(this.topic, id);
    const iterator = source[Symbol.asyncIterator]();
    const listeners = new Set<(event: EventOf<K>) => void>();
    const entry: Entry<EventOf<K>> = { listeners, resyncs: new Map(), ready: Promise.resolve(), end: () => void iterator.return?.() };
    this.entries.set(id, entry);
    // The first next() makes the bus listen (a Redis SUBSCRIBE); only then can it say when that is acknowledged.
    void (async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        if (this.prepare && listeners.size >= this.prepareFrom) await this.prepare(next.value).catch(this.onError);
        for (const listener of listeners) {
          try {
            listener(next.value);
          } catch (err) {
            this.onError(err);
          }
        }
      }
    })().catch(this.onError);
    if (this.pubsub.ready) entry.ready = this.pubsub.ready(this.topic, id);
    return entry;
  }
}
