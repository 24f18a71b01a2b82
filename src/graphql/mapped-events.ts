// A subscription's events mapped to results by one plain iterator (graphql/shared-events.ts), instead of the
// executor's per-event mapping (an async generator and a flattening iterator per event per subscriber).
import { GraphQLError, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { isUnavailable, serviceUnavailable } from '../errors.ts';
import { isPullable, nextOf, type Pullable, type Sink } from '../realtime/pull.ts';

/** Masks one error on its way to the client (yoga's maskedErrors, for subscriptions that bypass envelop). */
export type MaskError = (error: GraphQLError) => GraphQLError;

type Result = ExecutionResult | Promise<ExecutionResult>;

/** The error as a GraphQLError located at the operation, carrying the original. */
export function located(err: unknown, operation: OperationDefinitionNode | null | undefined): GraphQLError {
  const error = err instanceof Error ? err : new Error(String(err));
  return new GraphQLError(error.message, { originalError: error, nodes: operation ? [operation] : undefined });
}

/** An error of a result that says a backing service (the database, Redis) was out of reach. */
export const unavailable = (e: GraphQLError) => e.extensions?.code === 'SERVICE_UNAVAILABLE' || isUnavailable(e.originalError);

/**
 * Maps a source stream to results; a plain iterator, so return() reaches the source even while it waits. A failure
 * (of the source or of the mapping) closes the source before it ends the stream, and so does a result whose errors
 * say a backing service is out of reach (SERVICE_UNAVAILABLE). A class: one is held by every open subscription, and
 * prototype methods cost nothing per subscription where closures would.
 *
 * Read by pulls (realtime/pull.ts) it is also the sink of its source's pulls: an event the source already has, or
 * that arrives while a pull waits, is mapped and handed on in the same call, with no promise unless the execution
 * itself is asynchronous.
 */
class MappedEvents implements AsyncIterableIterator<ExecutionResult>, Pullable<ExecutionResult>, Sink<unknown> {
  private readonly inner: AsyncIterator<unknown>;
  /** The sink of the pull in progress. */
  private sink: Sink<ExecutionResult> | null = null;
  /** Called once when the stream ends, however it ends; cleared then. */
  private onEnd?: () => void;

  constructor(
    source: AsyncIterable<unknown>,
    private readonly map: (event: unknown) => Result,
    private readonly locate: (err: unknown) => GraphQLError,
    private readonly mask?: MaskError,
    onEnd?: () => void,
  ) {
    this.inner = source[Symbol.asyncIterator]();
    this.onEnd = onEnd;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return nextOf(this);
  }

  pull(sink: Sink<ExecutionResult>): void {
    this.sink = sink;
    if (isPullable(this.inner)) return this.inner.pull(this);
    this.inner.next().then(
      (next) => (next.done ? this.onDone() : this.onValue(next.value)),
      (err) => this.onError(err),
    );
  }

  /** An event from the source: mapped, then handed on (or the stream fails). */
  onValue(event: unknown): void {
    let mapped: Result;
    try {
      mapped = this.map(event);
    } catch (err) {
      return this.fail(err);
    }
    if (mapped instanceof Promise)
      mapped.then(
        (value) => this.deliver(value),
        (err) => this.fail(err),
      );
    else this.deliver(mapped);
  }

  onDone(): void {
    this.ended();
    this.taken().onDone();
  }

  /** The source failed: located at the operation. */
  onError(err: unknown): void {
    this.fail(this.locate(err));
  }

  private deliver(value: ExecutionResult) {
    if (value.errors?.some(unavailable)) return this.fail(serviceUnavailable());
    this.taken().onValue(this.mask ? maskResult(value, this.mask) : value);
  }

  /** Closes the source, then ends the pull in progress with `err` (masked when masking is this stream's job). */
  private fail(err: unknown) {
    const sink = this.taken();
    const error = this.mask ? this.mask(err instanceof GraphQLError ? err : located(err, undefined)) : err;
    this.return().then(
      () => sink.onError(error),
      () => sink.onError(error),
    );
  }

  private taken(): Sink<ExecutionResult> {
    const sink = this.sink!;
    this.sink = null;
    return sink;
  }

  private ended() {
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.();
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.ended();
    await this.inner.return?.();
    return { value: undefined, done: true };
  }

  async throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.ended();
    if (this.inner.throw) await this.inner.throw(err);
    else await this.return();
    throw err;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** The result with each of its errors masked (the same object when it has none). */
export function maskResult(result: ExecutionResult, mask: MaskError): ExecutionResult {
  return result.errors ? { ...result, errors: result.errors.map(mask) } : result;
}

export function mapEvents(
  source: AsyncIterable<unknown>,
  map: (event: unknown) => Result,
  locate: (err: unknown) => GraphQLError,
  mask?: MaskError,
  onEnd?: () => void,
): AsyncIterableIterator<ExecutionResult> & Pullable<ExecutionResult> {
  return new MappedEvents(source, map, locate, mask, onEnd);
}
