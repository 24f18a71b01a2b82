// A subscription's events mapped to results by one plain iterator (graphql/shared-events.ts), instead of the
// executor's per-event mapping (an async generator and a flattening iterator per event per subscriber).
import { GraphQLError, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { isUnavailable, serviceUnavailable } from '../errors.ts';

/** Masks one error on its way to the client (yoga's maskedErrors, for subscriptions that bypass envelop). */
export type MaskError = (error: GraphQLError) => GraphQLError;

type Result = ExecutionResult | Promise<ExecutionResult>;

/** The error as a GraphQLError located at the operation, carrying the original. */
export function located(err: unknown, operation: OperationDefinitionNode | null | undefined): GraphQLError {
  const error = err instanceof Error ? err : new Error(String(err));
  return new GraphQLError(error.message, { originalError: error, nodes: operation ? [operation] : undefined });
}

const unavailable = (e: GraphQLError) => e.extensions?.code === 'SERVICE_UNAVAILABLE' || isUnavailable(e.originalError);

/**
 * Maps a source stream to results; a plain iterator, so return() reaches the source even while it waits. A failure
 * (of the source or of the mapping) closes the source before it ends the stream, and so does a result whose errors
 * say a backing service is out of reach (SERVICE_UNAVAILABLE). A class: one is held by every open subscription, and
 * prototype methods cost nothing per subscription where closures would.
 */
class MappedEvents implements AsyncIterableIterator<ExecutionResult> {
  private readonly inner: AsyncIterator<unknown>;

  constructor(
    source: AsyncIterable<unknown>,
    private readonly map: (event: unknown) => Result,
    private readonly onError: (err: unknown) => GraphQLError,
    private readonly mask?: MaskError,
  ) {
    this.inner = source[Symbol.asyncIterator]();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.mask) return this.step();
    try {
      const next = await this.step();
      return next.done ? next : { value: maskResult(next.value, this.mask), done: false };
    } catch (err) {
      throw this.mask(err instanceof GraphQLError ? err : located(err, undefined));
    }
  }

  private async step(): Promise<IteratorResult<ExecutionResult>> {
    let next: IteratorResult<unknown>;
    try {
      next = await this.inner.next();
    } catch (err) {
      await this.return().catch(() => {});
      throw this.onError(err);
    }
    if (next.done) return { value: undefined, done: true };
    let value: ExecutionResult;
    try {
      const mapped = this.map(next.value);
      value = mapped instanceof Promise ? await mapped : mapped;
    } catch (err) {
      await this.return().catch(() => {});
      throw err;
    }
    if (value.errors?.some(unavailable)) {
      await this.return().catch(() => {});
      throw serviceUnavailable();
    }
    return { value, done: false };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.inner.return?.();
    return { value: undefined, done: true };
  }

  async throw(err?: unknown): Promise<IteratorResult<ExecutionResult>> {
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
  onError: (err: unknown) => GraphQLError,
  mask?: MaskError,
) {
  return new MappedEvents(source, map, onError, mask);
}
