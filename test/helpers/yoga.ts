// One of Parley's yoga plugins on a small yoga of its own, driven in process through yoga.fetch (no port, no
// database): a tiny schema, and a context shaped like Parley's for what the plugins read (request id, transport,
// tenant, viewer, client address). Who is asking comes from two test headers: `x-test-user` (a signed-in viewer) and
// `x-test-ip` (the client's address).
import { createSchema, createYoga, maskError, type YogaServerOptions } from 'graphql-yoga';
import { maskedAppError } from '../../src/graphql/errors.ts';
import type { Context } from '../../src/graphql/context.ts';
import type { ServerContext } from '../../src/graphql/yoga.ts';

export type Result = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/**
 * A relay-style connection whose cost is its page size (`items(first: n) { edges { node { id } } }` costs n), a
 * plain field, and a field that fails, plus a subscription over the same connection.
 */
export const TYPE_DEFS = /* GraphQL */ `
  type Item {
    id: ID!
  }
  type ItemEdge {
    node: Item!
    cursor: String!
  }
  type PageInfo {
    hasNextPage: Boolean!
  }
  type ItemConnection {
    edges: [ItemEdge!]!
    pageInfo: PageInfo!
  }
  type Query {
    hello: String!
    items(first: Int): ItemConnection!
    broken: String
  }
  type Subscription {
    items(first: Int): ItemConnection!
  }
`;

type Resolvers = NonNullable<Parameters<typeof createSchema<Context>>[0]['resolvers']>;

/** Items `0..n-1` as a connection. */
export const connection = (n: number) => ({
  edges: Array.from({ length: n }, (_, i) => ({ node: { id: String(i) }, cursor: String(i) })),
  pageInfo: { hasNextPage: false },
});

/** The tiny schema; `resolvers` replace the default ones field by field. */
export function tinySchema(resolvers: { Query?: Record<string, unknown>; Subscription?: Record<string, unknown> } = {}) {
  const page = (_: unknown, { first }: { first?: number | null }) => connection(first ?? 1);
  return createSchema<Context>({
    typeDefs: TYPE_DEFS,
    resolvers: {
      Query: { hello: () => 'hi', items: page, broken: () => null, ...resolvers.Query },
      Subscription: {
        items: {
          subscribe: async function* (root: unknown, args: { first?: number | null }) {
            yield { items: page(root, args) };
          },
        },
        ...resolvers.Subscription,
      },
    } as Resolvers,
  });
}

export function testYoga(
  options: {
    plugins: NonNullable<YogaServerOptions<ServerContext, Context>['plugins']>;
    resolvers?: Parameters<typeof tinySchema>[0];
  } & Partial<YogaServerOptions<ServerContext, Context>>,
) {
  const { plugins, resolvers, ...rest } = options;
  return createYoga<ServerContext, Context>({
    schema: tinySchema(resolvers),
    logging: false,
    // As Parley's yoga: validation results are cached by validationCachePlugin, if at all.
    parserAndValidationCache: { validationCache: false },
    // As Parley's yoga: a service's AppError reaches the client as graphql/errors.ts sends it; the rest as yoga masks it.
    maskedErrors: { maskError: (error, message, isDev) => maskedAppError(error) ?? maskError(error, message, isDev) },
    context: ({ request, requestId }) => {
      const user = request.headers.get('x-test-user');
      const ip = request.headers.get('x-test-ip');
      // Only what the plugins read: the rest of Parley's context (prisma, services) is never reached here.
      return {
        requestId: requestId ?? 'no-request-id',
        transport: 'http',
        tenant: { id: 'default' },
        viewer: user ? { user: { id: user } } : null,
        client: { tenantId: 'default', ip, userAgent: null },
      } as unknown as Context;
    },
    plugins,
    ...rest,
  });
}

export type TestYoga = ReturnType<typeof testYoga>;

export interface Asker {
  user?: string;
  ip?: string;
  /** What app.ts hands yoga as the server context's request id. */
  requestId?: string;
}

function headersOf({ user, ip }: Asker): Record<string, string> {
  return { ...(user ? { 'x-test-user': user } : {}), ...(ip ? { 'x-test-ip': ip } : {}) };
}

/** POSTs `body` (an operation, or an array of them for a batch) and returns the parsed JSON answer. */
export async function post<T = Result>(yoga: TestYoga, body: unknown, asker: Asker = {}): Promise<T> {
  const res = await yoga.fetch(
    'http://yoga/graphql',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headersOf(asker) },
      body: JSON.stringify(body),
    },
    { requestId: asker.requestId },
  );
  return (await res.json()) as T;
}

/** Runs a subscription over SSE and returns every event it sent, once the stream ended. */
export async function sse(yoga: TestYoga, body: unknown, asker: Asker = {}): Promise<Result[]> {
  const res = await yoga.fetch(
    'http://yoga/graphql',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headersOf(asker) },
      body: JSON.stringify(body),
    },
    { requestId: asker.requestId },
  );
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: next'))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 'data: '.length)) as Result);
}
