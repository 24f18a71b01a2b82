// How errors from the database, Redis and the network are recognised wherever they sit in the chain an error wraps
// (GraphQL's originalError, an Error's cause, a Prisma error's driver adapter error): one walk decides both whether a
// backing service is unavailable and which SQLSTATE an error carries.
import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { isDiskFull, isUnavailable, unavailableError } from '../src/errors.ts';

const coded = (code: string, message = 'failed') => Object.assign(new Error(message), { code });
const wrapped = (inner: unknown, levels: number): unknown => {
  let e = inner;
  for (let i = 0; i < levels; i++) e = i % 2 ? new GraphQLError('outer', { originalError: e as Error }) : new Error('outer', { cause: e });
  return e;
};
/** A Prisma error for a raw statement: the driver's error (with its SQLSTATE) in meta. */
const prismaRaw = (originalCode: string, kind = 'postgres') =>
  Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { driverAdapterError: { cause: { kind, originalCode } } } });
/** A DriverAdapterError as the adapter raises it: the driver's error as its cause. */
const adapterError = (originalCode: string) =>
  Object.assign(new Error('DriverAdapterError'), { cause: { kind: 'postgres', originalCode } });

describe('backing services unavailable, wherever the error sits in the chain', () => {
  it('recognises codes, driver errors, names and messages at any of the first five levels', () => {
    const unavailable = [
      coded('P1001'), // Prisma: cannot reach the database
      coded('ECONNREFUSED'),
      coded('57P01'), // admin shutdown
      coded('53100'), // disk full
      prismaRaw('08006'),
      adapterError('57014'),
      Object.assign(new Error('x'), { meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } } }),
      { kind: 'DatabaseNotReachable' },
      Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }),
      new Error('Connection terminated unexpectedly'),
    ];
    // Five levels: the error and four around it (a DriverAdapterError's driver error is its cause, one level down).
    for (const err of unavailable) {
      for (const levels of [0, 1, 3]) expect(isUnavailable(wrapped(err, levels)), `${JSON.stringify(err)} under ${levels}`).toBe(true);
    }
    expect(isUnavailable(wrapped(coded('ECONNRESET'), 4))).toBe(true);
    // Prisma's interactive transaction that could not start in time, as Prisma raises it.
    expect(isUnavailable(Object.assign(new Error('Unable to start a transaction in the given time.'), { code: 'P2028' }))).toBe(true);
  });

  it("does not take the request's own faults for an outage, nor look deeper than five levels", () => {
    for (const err of [coded('23505'), prismaRaw('22P02'), coded('P2002'), new Error('boom'), null, undefined, 'text', { code: 42 }]) {
      expect(isUnavailable(wrapped(err, 2))).toBe(false);
    }
    expect(isUnavailable(wrapped(coded('ECONNRESET'), 5))).toBe(false);
    const cycle: { cause?: unknown } = new Error('loop');
    cycle.cause = cycle;
    expect(isUnavailable(cycle)).toBe(false);
  });

  it('finds a full disk and a cancelled statement by SQLSTATE, on the error or its driver error', () => {
    expect(isDiskFull(wrapped(coded('53100'), 3))).toBe(true);
    expect(isDiskFull(wrapped(prismaRaw('53100'), 1))).toBe(true);
    expect(isDiskFull(adapterError('53100'))).toBe(true);
    expect(isDiskFull(coded('53200'))).toBe(false);
    expect(unavailableError(wrapped(prismaRaw('57014'), 2)).extensions).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      retryable: true,
      reason: 'STATEMENT_TIMEOUT',
    });
    expect(unavailableError(adapterError('57014')).extensions.reason).toBe('STATEMENT_TIMEOUT');
    expect(unavailableError(coded('ECONNREFUSED')).extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });
});
