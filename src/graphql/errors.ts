// Parley's error vocabulary (../errors.ts) at GraphQL's edge: over HTTP, SSE and WebSocket alike, an AppError goes out
// as a GraphQLError with its message and `extensions: { code, ...details }`. Everything that builds GraphQL errors or
// results (yoga's maskError, the validation plugins, shared subscription execution, the WebSocket server) goes
// through here, so services and the REST routes never depend on graphql.
import { GraphQLError } from 'graphql';
import { AppError } from '../errors.ts';

/**
 * The GraphQLError a client gets for an AppError: its message and extensions, without a location or path (clients
 * have always received service errors that way) and without the AppError as originalError, which yoga would take
 * for an unexpected error (HTTP 500 when there is no data).
 */
export function graphqlError(error: AppError): GraphQLError {
  return new GraphQLError(error.message, { extensions: error.extensions });
}

/**
 * What maskError sends for a service error: an AppError, or the GraphQLError graphql-js located it in (whose
 * extensions are the AppError's plus any added on the way, such as the request id), as graphqlError() sends it.
 * Null for any other error.
 */
export function maskedAppError(error: unknown): GraphQLError | null {
  if (error instanceof AppError) return graphqlError(error);
  if (!(error instanceof GraphQLError) || !(error.originalError instanceof AppError)) return null;
  return new GraphQLError(error.message, { extensions: { ...error.originalError.extensions, ...error.extensions } });
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
