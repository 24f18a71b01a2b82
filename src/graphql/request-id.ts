// Small helpers for results and documents used by the operation plugins (plugins/operation-log.ts, request-id-in-errors.ts).
import { getOperationAST, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { withExtensions } from './errors.ts';

/** The result with `extensions.requestId` on each of its errors (unchanged when there are none). */
export function withRequestId<R extends ExecutionResult>(result: R, requestId: string): R {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map((e) => (e.extensions?.requestId === requestId ? e : withExtensions(e, { requestId }))) };
}

/** The executed operation's name, from the document when the request did not name it. */
export function operationName(args: Pick<ExecutionArgs, 'document' | 'operationName'>): string | null {
  return args.operationName ?? getOperationAST(args.document, undefined)?.name?.value ?? null;
}

export function operationType(args: Pick<ExecutionArgs, 'document' | 'operationName'>): string {
  return getOperationAST(args.document, args.operationName ?? undefined)?.operation ?? 'unknown';
}
