// Parley's error vocabulary: every error a client sees carries one of these codes in `extensions.code`.
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  UNAUTHENTICATED: { status: 401, message: 'You must be signed in to do this.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  BAD_USER_INPUT: { status: 400, message: 'The input is not valid.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONFLICT: { status: 409, message: 'This conflicts with existing data.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later.' },
  QUOTA_EXCEEDED: { status: 429, message: 'The usage budget is exhausted.' },
  QUERY_TOO_COMPLEX: { status: 400, message: 'This query asks for too much at once.' },
  TOO_MANY_SUBSCRIPTIONS: { status: 429, message: 'Too many operations running on this connection.' },
  TENANT_NOT_FOUND: { status: 400, message: 'Unknown client id (X-Client-ID).' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A backing service is unavailable; retry shortly.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

/** A client-facing error: a stable code, a human message, and optional details (e.g. `field`, `retryAfter`). */
export class AppError extends GraphQLError {
  readonly code: ErrorCodeName;
  constructor(code: ErrorCodeName, message?: string, details: Record<string, unknown> = {}) {
    super(message ?? ErrorCode[code].message, { extensions: { code, ...details } });
    this.code = code;
  }
  get status(): number {
    return ErrorCode[this.code].status;
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
  const e = err as { code?: string; cause?: { code?: string; originalCode?: string } } | undefined;
  return e?.code === 'P2002' || e?.cause?.originalCode === '23505';
}
