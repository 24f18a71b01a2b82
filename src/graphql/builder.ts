// The Pothos builder: plugins, context type, scalars and auth scopes. Types live with their features.
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import type { Context } from './context.ts';
import { AppError } from '../errors.ts';

/** Page size bounds of every connection: `first`/`last` above the maximum are refused (src/graphql/cost.ts). */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  // moderator: the viewer's tenant role is MODERATOR or ADMIN; admin: ADMIN (see src/moderation/).
  AuthScopes: { signedIn: boolean; moderator: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    // An upload of the GraphQL multipart request spec (a WHATWG File); registered by attachments/attachments.schema.ts.
    // Any JSON value (a tool's input and output): objects, arrays, strings, numbers, booleans, null.
    JSON: { Input: unknown; Output: unknown };
    File: { Input: { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }; Output: never };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    onUnusedQuery: null,
  },
  scopeAuth: {
    // A subscription's scopes are checked once, when it starts (a socket's viewer does not change while it is open;
    // a revoked session closes the socket), not again for every event.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      signedIn: ctx.viewer !== null,
      moderator: async () => ['MODERATOR', 'ADMIN'].includes((await currentRole(ctx)) ?? ''),
      admin: async () => (await currentRole(ctx)) === 'ADMIN',
    }),
    unauthorizedError: (_parent, ctx) => new AppError(ctx.viewer ? 'FORBIDDEN' : 'UNAUTHENTICATED'),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    pageInfoTypeOptions: { description: 'Where a page sits in the whole list (Relay cursor connection).' },
    // Every connection gets the same documented arguments and fields (the schema test wants descriptions everywhere).
    defaultConnectionTypeOptions: { description: 'A page of a list (Relay cursor connection).' },
    defaultEdgeTypeOptions: { description: 'One item of a page, with its cursor.' },
    edgesFieldOptions: { nullable: false, description: 'The items of this page.' },
    nodeFieldOptions: { nullable: false, description: 'The item.' },
    cursorFieldOptions: { description: 'Opaque position of this item; pass it as `after` or `before`.' },
    pageInfoFieldOptions: { description: 'Whether there are more items before or after this page.' },
    hasNextPageFieldOptions: { description: 'True when items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'True when items precede this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first item of this page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of this page.' },
    firstArgOptions: {
      description: `Return at most this many items from the start (after \`after\`); default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}.`,
    },
    lastArgOptions: { description: `Return at most this many items from the end (before \`before\`); max ${MAX_PAGE_SIZE}.` },
    afterArgOptions: { description: 'Cursor: items after this one.' },
    beforeArgOptions: { description: 'Cursor: items before this one.' },
  },
});

/**
 * The viewer's tenant role now. Over WebSocket the viewer was read once, at connection_init: its row is read again
 * (and this operation's viewer replaced with it), so a role given or taken since, on any instance, counts at once.
 */
async function currentRole(ctx: Context): Promise<string | null> {
  if (!ctx.viewer) return null;
  if (ctx.transport === 'ws') {
    const user = await ctx.prisma.user.findUnique({ where: { id: ctx.viewer.user.id } });
    if (!user || user.suspendedAt) return null;
    ctx.viewer = { ...ctx.viewer, user };
  }
  return ctx.viewer.user.role;
}

builder.scalarType('DateTime', {
  description: 'An instant in time, as an ISO 8601 string in UTC (e.g. "2026-01-31T12:00:00.000Z").',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string.');
    return date;
  },
  parseLiteral: (ast) => {
    const date = ast.kind === Kind.STRING ? new Date(ast.value) : null;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string.');
    return date;
  },
});

builder.scalarType('JSON', {
  description: 'Any JSON value: an object, array, string, number, boolean or null.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables ?? undefined),
});

builder.queryType({ description: 'Read operations.' });
builder.mutationType({ description: 'Write operations.' });
builder.subscriptionType({ description: 'Live events, over graphql-ws (WebSocket) or SSE (text/event-stream).' });

/**
 * True when a prismaField's query selects only the row's own columns: a row already in hand (just written, or
 * cached) answers it without reading the row again.
 */
export function onlyScalars(query: { include?: object; select?: object }): boolean {
  if (query.include && Object.keys(query.include).length > 0) return false;
  return !query.select || Object.values(query.select).every((v) => v === true);
}
