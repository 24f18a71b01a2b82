// Parley's error vocabulary: every error a client sees carries one of these codes. It belongs to no transport: each
// maps an AppError at its edge (GraphQL over HTTP, SSE and WebSocket: graphql/errors.ts, the `extensions.code` of the
// error; REST: toRestError() in auth/rest/http.ts, better-auth's status and `code`), so services never depend on one.

export const ErrorCode = {
  UNAUTHENTICATED: { status: 401, message: 'You must be signed in to do this.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  BAD_USER_INPUT: { status: 400, message: 'The input is not valid.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONFLICT: { status: 409, message: 'This conflicts with existing data.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later.' },
  QUOTA_EXCEEDED: { status: 429, message: 'The usage budget is exhausted.' },
  CONTENT_BLOCKED: { status: 400, message: "This text is not allowed by the organisation's content filter." },
  QUERY_TOO_COMPLEX: { status: 400, message: 'This query asks for too much at once.' },
  TOO_MANY_SUBSCRIPTIONS: { status: 429, message: 'Too many operations running on this connection.' },
  TOO_MANY_CONNECTIONS: { status: 429, message: 'Too many open connections; close one first.' },
  SLOW_CONSUMER: { status: 503, message: 'This subscription fell too far behind its events and was ended; subscribe again.' },
  TENANT_NOT_FOUND: { status: 400, message: 'Unknown client id (X-Client-ID).' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A backing service is unavailable; retry shortly.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** A client-facing error: a stable code, a human message, and optional details (e.g. `field`, `retryAfter`). */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCodeName;
  /** Stable, machine-readable facts about the error (`field`, `reason`, `retryAfter`, `limit`...), sent beside the code. */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCodeName, message?: string, details: Record<string, unknown> = {}) {
    super(message ?? ErrorCode[code].message);
    this.code = code;
    this.details = details;
  }
  /** The HTTP status this code stands for. */
  get status(): number {
    return ErrorCode[this.code].status;
  }
  /** What a client reads besides the message, in this order: `{ code, ...details }` (GraphQL's `extensions`). */
  get extensions(): Record<string, unknown> {
    return { code: this.code, ...this.details };
  }
}

/** `reason` is a finer, stable code for clients (e.g. INVALID_TOKEN), also used by the REST routes. */
export const badInput = (message: string, field?: string, reason?: string) =>
  new AppError('BAD_USER_INPUT', message, { ...(field ? { field } : {}), ...(reason ? { reason } : {}) });
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found.`);
export const unauthenticated = () => new AppError('UNAUTHENTICATED');
export const forbidden = (message?: string) => new AppError('FORBIDDEN', message);

/** Prisma's unique-constraint violation, whichever driver adapter raised it. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as
    | {
        code?: string;
        cause?: { originalCode?: string };
        meta?: { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } };
      }
    | undefined;
  // P2002 from the query builder; a raw statement (Prisma's raw query API) fails with P2010 and the driver's error in meta; one
  // sent straight through the driver (Database.query) with the SQLSTATE as its code.
  const driver = e?.meta?.driverAdapterError?.cause;
  return (
    e?.code === 'P2002' ||
    e?.code === '23505' ||
    e?.cause?.originalCode === '23505' ||
    driver?.originalCode === '23505' ||
    driver?.kind === 'UniqueConstraintViolation'
  );
}

/** SERVICE_UNAVAILABLE with `retryable: true`: the request did nothing useful; the same request may succeed shortly. */
export const serviceUnavailable = (message?: string, reason?: string) =>
  new AppError('SERVICE_UNAVAILABLE', message, { retryable: true, ...(reason ? { reason } : {}) });

/**
 * The SERVICE_UNAVAILABLE error a client gets for `err` (one isUnavailable accepts). A statement the database cancelled
 * for running or waiting past DATABASE_STATEMENT_TIMEOUT_MS (SQLSTATE 57014, which also covers the rare statement an
 * administrator cancels), or a transaction that could not start or finish in time, carries
 * `reason: "STATEMENT_TIMEOUT"`: retry, or ask for less at once. Other causes (a restart, a full disk) say nothing more
 * to clients; /ready and the log do.
 */
export const unavailableError = (err: unknown) =>
  hasCode(err, (code) => code === '57014') || transactionTimedOut(err)
    ? serviceUnavailable(
        'The database took too long to answer and the statement was cancelled; retry, or ask for less at once.',
        'STATEMENT_TIMEOUT',
      )
    : serviceUnavailable();

/** True when `err` (or an error it wraps) says the database's disk is full (SQLSTATE 53100; PGlite too turns ENOSPC into it). */
export const isDiskFull = (err: unknown) => hasCode(err, (code) => code === '53100');

// Prisma: can't reach (P1001), timed out reaching (P1002), socket timeout (P1008), server closed the connection
// (P1017), pool timeout (P2024), too many connections (P2037).
const PRISMA_UNAVAILABLE = /^(P1001|P1002|P1008|P1017|P2024|P2037)$/;
const ADAPTER_UNAVAILABLE = /^(DatabaseNotReachable|ConnectionClosed|SocketTimeout|TooManyConnections)$/;
// SQLSTATE: connection exceptions (class 08), admin/crash shutdown, "the database system is starting up"; what
// PostgreSQL says while it restarts or fails over. Insufficient resources (class 53: disk full, out of memory, too
// many connections) and a statement cancelled by statement_timeout (57014, also what the PGlite queue raises for a
// statement that waited too long): the server's state, not the request's fault.
const SQLSTATE_UNAVAILABLE = /^(08...|57P01|57P02|57P03|53...|57014)$/;
// Prisma's P2028 ("Transaction API error") when an interactive transaction could not start within maxWait or outlived
// its timeout; other P2028s are misuse, not load.
const TRANSACTION_TIMED_OUT = /Unable to start a transaction in the given time|expired transaction/;
const transactionTimedOut = (err: unknown) => {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return e?.code === 'P2028' && typeof e.message === 'string' && TRANSACTION_TIMED_OUT.test(e.message);
};
const SOCKET_UNAVAILABLE = /^(ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/;
// node-postgres and ioredis errors that carry no code.
const MESSAGE_UNAVAILABLE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed\.|Stream isn't writeable|Reached the max retries per request limit)/;

/**
 * True when `err` (or an error it wraps) says a backing service (PostgreSQL or Redis) could not be reached or dropped
 * the connection: a restart, a failover, a network blip. Such a request is worth retrying, unlike errors about the
 * request itself.
 */
export function isUnavailable(err: unknown): boolean {
  return (
    transactionTimedOut(err) ||
    anyCause(err, (e) => {
      if (codesOf(e).some((code) => PRISMA_UNAVAILABLE.test(code) || SOCKET_UNAVAILABLE.test(code) || SQLSTATE_UNAVAILABLE.test(code)))
        return true;
      const kind = driverError(e).kind;
      if (typeof kind === 'string' && ADAPTER_UNAVAILABLE.test(kind)) return true;
      return e.name === 'MaxRetriesPerRequestError' || (typeof e.message === 'string' && MESSAGE_UNAVAILABLE.test(e.message));
    })
  );
}

/**
 * True when `err` or an error it wraps carries a code `test` accepts: its own `code` (a SQLSTATE, a Node errno name)
 * or, on a Prisma or driver adapter error, the SQLSTATE of the driver's error.
 */
function hasCode(err: unknown, test: (code: string) => boolean): boolean {
  return anyCause(err, (e) => codesOf(e).some(test));
}

type ErrorFields = Record<string, unknown>;

/**
 * True when `test` accepts `err` or an error it wraps: GraphQL's originalError, else an Error's cause, outermost
 * first. Five levels at most, so a cause cycle cannot loop.
 */
function anyCause(err: unknown, test: (e: ErrorFields) => boolean): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const fields = e as ErrorFields;
    if (test(fields)) return true;
    e = fields.originalError ?? fields.cause;
  }
  return false;
}

/**
 * The driver's error behind `e`: a Prisma error carries the driver adapter's error in meta; a DriverAdapterError
 * carries it as its cause (met one level down), or is one itself.
 */
const driverError = (e: ErrorFields): { kind?: unknown; originalCode?: unknown } =>
  (e.meta as { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } } | undefined)?.driverAdapterError?.cause ?? e;

/** The codes `e` carries: its own `code`, and the SQLSTATE of the driver's error behind it. */
const codesOf = (e: ErrorFields): string[] =>
  [e.code, driverError(e).originalCode].filter((code): code is string => typeof code === 'string');
