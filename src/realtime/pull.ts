// The hand-off between the stages of a live subscription, as plain calls instead of promises. A WebSocket
// subscription is three stages: the stream of events (messaging/stream.ts, a sequence gate and a bounded queue), the
// results mapped from them (graphql/mapped-events.ts) and the frames written to the socket (ws-frames.ts). Through
// async iterators, every event costs each subscriber a chain of promises and microtasks between those stages; a
// message to a group of 1,000 costs 1,000 such chains. Through a Pullable, the stage that wants the next value
// pulls with itself as the sink, and the source calls it back at once when it has a value waiting, or when the value
// arrives (synchronously, inside the fan-out's loop). Backpressure is the same as an iterator's: one pull at a time,
// and a sink that is not ready (a socket past its high water) simply does not pull again until it is.
//
// The async-iterator interface stays on every stage, for SSE, for graphql-ws's own path (WS_DIRECT_FRAMES=false)
// and for sources that are not pullable; test/ws-frames.test.ts checks that both paths send the same bytes.

/** What a pull delivers to: exactly one of its methods is called once per pull. */
export interface Sink<T> {
  /** The next value. */
  onValue(value: T): void;
  /** The source ended normally: no value will follow. */
  onDone(): void;
  /** The source failed with `error`: no value will follow. */
  onError(error: unknown): void;
}

/** A source read by pulls: at most one pull outstanding, answered synchronously when a value is already waiting. */
export interface Pullable<T> {
  pull(sink: Sink<T>): void;
}

export function isPullable<T>(source: unknown): source is Pullable<T> {
  return typeof (source as Partial<Pullable<T>> | null)?.pull === 'function';
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/** One pull as an iterator's next(): what a Pullable's next() is. */
export function nextOf<T>(source: Pullable<T>): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) =>
    source.pull({
      onValue: (value) => resolve({ value, done: false }),
      onDone: () => resolve(DONE),
      onError: reject,
    }),
  );
}
