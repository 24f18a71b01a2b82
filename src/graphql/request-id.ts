// Small helpers for results and documents used by the operation plugins in yoga.ts.
import { GraphQLError, getOperationAST, type ExecutionArgs, type ExecutionResult } from 'graphql';

/** The result with `extensions.requestId` on each of its errors (unchanged when there are none). */
export function withRequestId<R extends ExecutionResult>(result: R, requestId: string): R {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map((e) => (e.extensions?.requestId === requestId ? e : withExtensions(e, { requestId }))) };
}

/** The same error (location, path, original error) with more extensions. */
export function withExtensions(e: GraphQLError, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(e.message, {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    path: e.path,
    originalError: e.originalError,
    extensions: { ...e.extensions, ...extensions },
  });
}

/** The executed operation's name, from the document when the request did not name it. */
export function operationName(args: Pick<ExecutionArgs, 'document' | 'operationName'>): string | null {
  return args.operationName ?? getOperationAST(args.document, undefined)?.name?.value ?? null;
}

export function operationType(args: Pick<ExecutionArgs, 'document' | 'operationName'>): string {
  return getOperationAST(args.document, args.operationName ?? undefined)?.operation ?? 'unknown';
}
