// Subscription results written to a WebSocket as graphql-ws `next` frames by Parley itself, each result serialized
// once however many sockets it goes to. graphql-ws's own path builds every frame per subscriber (a copy of the
// result, JSON.stringify of it, a promise per send); a message to a group of 1,000 is one shared result
// (graphql/shared-events.ts), so here its JSON is made once and each socket's frame is that text behind the
// subscription's own id. The frames are byte-for-byte what graphql-ws would send (test/ws-frames.test.ts compares the
// two with WS_DIRECT_FRAMES=false).
//
// graphql-ws still runs the protocol: it subscribes, hands the operation's result to onOperation (ws.ts), which
// swaps in a DirectFrames, and for-awaits it. DirectFrames never yields: its first next() pumps the real results to
// the socket and settles when they end, so graphql-ws then sends `complete`, or `error` with what ended them, after
// the last frame, exactly as if it had sent the frames itself. A client's `complete` or a closing socket reaches the
// results through return().
//
// Backpressure: graphql-ws waits for every send to reach the socket, so a client that stops reading stops pulling
// results (and its stream's own bound takes over, see messaging/stream.ts). Here sends go out at once while the
// socket's buffer is under HIGH_WATER_BYTES, and the pump waits for the socket to take the frame past it: a stalled
// client holds at most that much in its buffer before it stops pulling.
import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import type { Pullable, Sink } from './pull.ts';

/** Bytes a socket may have waiting to be written before its results wait for it. */
export const HIGH_WATER_BYTES = 64 * 1024;

/** The JSON of each result sent, kept while the result is alive: the same shared result is serialized once. */
export class PayloadCache {
  private readonly json = new WeakMap<object, string>();
  /** Results serialized, and frames that reused a serialization (for metrics and tests). */
  readonly stats = { serialized: 0, reused: 0 };

  of(result: ExecutionResult): string {
    const cached = this.json.get(result);
    if (cached !== undefined) {
      this.stats.reused++;
      return cached;
    }
    this.stats.serialized++;
    const text = serialize(result);
    this.json.set(result, text);
    return text;
  }
}

/** A result's payload as graphql-ws writes it: the result's fields, then its errors (if any) in their JSON form. */
function serialize(result: ExecutionResult): string {
  if (!result.errors) return JSON.stringify(result);
  const { errors, ...rest } = result;
  return JSON.stringify({ ...rest, errors: errors.map((e) => e.toJSON()) });
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/**
 * The stand-in graphql-ws iterates while the results go to the socket directly (see the top of this file). The
 * results are read by pulls (realtime/pull.ts; every subscription's are, through graphql/mapped-events.ts), and each
 * is written in the call that hands it over, so an event reaches the socket within the fan-out's loop.
 */
export class DirectFrames implements AsyncIterableIterator<never>, Sink<ExecutionResult> {
  private readonly prefix: string;
  private pumping: Promise<IteratorResult<never>> | null = null;
  private stopped = false;
  /** How the first next() settles, for results read by pulls. */
  private settle: { resolve: (r: IteratorResult<never>) => void; reject: (e: unknown) => void } | null = null;
  /** A pull is being made (the loop in pullNext); `again`: the next one is wanted as soon as it returns. */
  private pulling = false;
  private again = false;

  constructor(
    private readonly results: AsyncIterator<ExecutionResult> & Pullable<ExecutionResult>,
    id: string,
    private readonly socket: WebSocket,
    private readonly payloads: PayloadCache,
  ) {
    this.prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  }

  next(): Promise<IteratorResult<never>> {
    return (this.pumping ??= this.pullAll());
  }

  private pullAll(): Promise<IteratorResult<never>> {
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
      this.pullNext();
    });
  }

  /**
   * Pulls the next result. A pull answered at once calls onValue, which asks for the next one from inside this
   * loop: the loop makes it, instead of a recursion as deep as the queue.
   */
  private pullNext() {
    if (this.pulling) {
      this.again = true;
      return;
    }
    this.pulling = true;
    do {
      this.again = false;
      if (this.stopped) this.onDone();
      else this.results.pull(this);
    } while (this.again);
    this.pulling = false;
  }

  onValue(result: ExecutionResult): void {
    let sent: Promise<void> | undefined;
    try {
      sent = this.stopped ? undefined : this.send(result);
    } catch (err) {
      return this.onError(err);
    }
    if (sent)
      sent.then(
        () => this.pullNext(),
        (err) => this.onError(err),
      );
    else this.pullNext();
  }

  onDone(): void {
    this.settle?.resolve(DONE);
  }

  onError(err: unknown): void {
    this.settle?.reject(err);
  }

  /** Writes one frame; a promise when the socket's buffer is past HIGH_WATER_BYTES, settled once it took the frame. */
  private send(result: ExecutionResult): Promise<void> | undefined {
    const socket = this.socket;
    if (socket.readyState !== socket.OPEN) return;
    const frame = this.prefix + this.payloads.of(result) + '}';
    if (socket.bufferedAmount < HIGH_WATER_BYTES) {
      socket.send(frame);
      return;
    }
    return new Promise<void>((resolve, reject) => socket.send(frame, (err) => (err ? reject(err) : resolve())));
  }

  async return(): Promise<IteratorResult<never>> {
    this.stopped = true;
    await this.results.return?.();
    return DONE;
  }

  async throw(err?: unknown): Promise<IteratorResult<never>> {
    await this.return();
    throw err;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
