// The synchronous hand-off between a subscription's stages (src/realtime/pull.ts): mapped results read by pulls
// behave as when read by next(), and hand a value over within the call that has it.
import { describe, expect, it } from 'vitest';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { mapEvents } from '../src/graphql/mapped-events.ts';
import { AppError } from '../src/errors.ts';
import type { Pullable, Sink } from '../src/realtime/pull.ts';

/** A pullable source over a fixed list, recording whether it was closed. */
class ListSource implements Pullable<number>, AsyncIterableIterator<number> {
  closed = false;
  constructor(private readonly values: number[]) {}
  pull(sink: Sink<number>) {
    const value = this.values.shift();
    if (value === undefined || this.closed) sink.onDone();
    else sink.onValue(value);
  }
  next(): Promise<IteratorResult<number>> {
    return new Promise((resolve, reject) =>
      this.pull({
        onValue: (value) => resolve({ value, done: false }),
        onDone: () => resolve({ value: undefined, done: true }),
        onError: reject,
      }),
    );
  }
  async return(): Promise<IteratorResult<number>> {
    this.closed = true;
    return { value: undefined, done: true };
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

type Outcome = { value: ExecutionResult } | { done: true } | { error: unknown };

/** One pull, and whether it was answered before pull() returned. */
function pullOnce(source: Pullable<ExecutionResult>): { sync: boolean; outcome: Promise<Outcome> } {
  let answered = false;
  const outcome = new Promise<Outcome>((resolve) =>
    source.pull({
      onValue: (value) => ((answered = true), resolve({ value })),
      onDone: () => ((answered = true), resolve({ done: true })),
      onError: (error) => ((answered = true), resolve({ error })),
    }),
  );
  return { sync: answered, outcome };
}

const locate = (err: unknown) => new GraphQLError((err as Error).message, { originalError: err as Error });
const toResult = (n: unknown): ExecutionResult => ({ data: { n } });

describe('mapped results read by pulls', () => {
  it('hands a mapped value over within the pull when the source has it, and ends after the last', async () => {
    const mapped = mapEvents(new ListSource([1, 2]), toResult, locate);
    const first = pullOnce(mapped);
    expect(first.sync).toBe(true);
    expect(await first.outcome).toEqual({ value: { data: { n: 1 } } });
    expect(await pullOnce(mapped).outcome).toEqual({ value: { data: { n: 2 } } });
    expect(await pullOnce(mapped).outcome).toEqual({ done: true });
  });

  it('waits for an asynchronous execution, in order', async () => {
    const mapped = mapEvents(new ListSource([1, 2]), async (n) => toResult(n), locate);
    const first = pullOnce(mapped);
    expect(first.sync).toBe(false);
    expect(await first.outcome).toEqual({ value: { data: { n: 1 } } });
    expect(await mapped.next()).toEqual({ value: { data: { n: 2 } }, done: false });
  });

  it('closes the source and fails the pull when mapping throws, masked as next() masks it', async () => {
    const source = new ListSource([1, 2]);
    const mask = (e: GraphQLError) => new GraphQLError('masked: ' + e.message, { extensions: { code: 'MASKED' } });
    const mapped = mapEvents(
      source,
      () => {
        throw new Error('boom');
      },
      locate,
      mask,
    );
    const { outcome } = pullOnce(mapped);
    const error = ((await outcome) as { error: GraphQLError }).error;
    expect(error.message).toBe('masked: boom');
    expect(error.extensions.code).toBe('MASKED');
    expect(source.closed).toBe(true);
  });

  it('ends with SERVICE_UNAVAILABLE when a result says a backing service is out of reach', async () => {
    const source = new ListSource([1]);
    const unavailable = new GraphQLError('db down', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const mapped = mapEvents(source, () => ({ data: null, errors: [unavailable] }), locate);
    const { outcome } = pullOnce(mapped);
    const error = ((await outcome) as { error: unknown }).error;
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('SERVICE_UNAVAILABLE');
    expect(source.closed).toBe(true);
  });

  it('reads a source that is not pullable through its next(), and locates its failure', async () => {
    async function* failing() {
      yield 1;
      throw new Error('source failed');
    }
    const mapped = mapEvents(failing(), toResult, locate);
    expect(await pullOnce(mapped).outcome).toEqual({ value: { data: { n: 1 } } });
    const error = ((await pullOnce(mapped).outcome) as { error: GraphQLError }).error;
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.message).toBe('source failed');
  });
});
