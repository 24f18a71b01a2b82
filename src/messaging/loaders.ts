// Per-request batching for fields that would otherwise query once per parent (unread counts, last messages,
// read receipts): keys asked for while the resolvers of a tick run share one query, through one DataLoader per batch
// name and request context. Nothing is cached across batches (`cache: false`), because a subscription reuses one
// context for every event and read state moves between events.
import DataLoader from 'dataloader';
import { requireViewer, type Context } from '../graphql/context.ts';
import type { Page } from './input.ts';
import type { User } from '../generated/prisma/client.ts';

type Fetch<V> = (keys: string[]) => Promise<Map<string, V>>;

/**
 * The DataLoaders of every request context of one app (services.loaders), made on a name's first use and gone with
 * the context. They are found by the context object rather than kept in it: a subscription event's shared execution
 * (graphql/shared-events.ts) runs with a stand-in context that reports any property read, and gets loaders of its own.
 */
export class RequestLoaders {
  private readonly byContext = new WeakMap<object, Map<string, DataLoader<string, unknown>>>();

  /** The context's loader for `name`; its first caller's `fetch` loads every batch. */
  loader<V>(ctx: object, name: string, fetch: Fetch<V>): DataLoader<string, V | undefined> {
    let byName = this.byContext.get(ctx);
    if (!byName) this.byContext.set(ctx, (byName = new Map()));
    let loader = byName.get(name) as DataLoader<string, V | undefined> | undefined;
    if (!loader) byName.set(name, (loader = batchLoader(fetch)));
    return loader;
  }
}

/**
 * One query per batch, each key asked once. A batch goes out in the event loop's check phase (setImmediate), as the
 * hand-written loader before it did, rather than at DataLoader's default next tick: resolvers whose parents arrived
 * in separate I/O callbacks of the same loop turn still share it.
 */
const batchLoader = <V>(fetch: Fetch<V>) =>
  new DataLoader<string, V | undefined>(
    async (keys) => {
      const found = await fetch([...new Set(keys)]);
      return keys.map((key) => found.get(key));
    },
    { cache: false, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
  );

/** Loads `key` in the context's current batch of `name` (see RequestLoaders): undefined when `fetch` did not find it. */
export const batchLoad = <V>(ctx: Context, name: string, key: string, fetch: Fetch<V>): Promise<V | undefined> =>
  ctx.services.loaders.loader(ctx, name, fetch).load(key);

/**
 * Joins each node of a page to its row, loaded by id in one query, keeping the order; `join` makes the new node.
 * Nodes whose row is gone (deleted meanwhile) are left out.
 */
export async function withRows<T, R extends { id: string }, N>(
  page: Page<T>,
  idOf: (node: T) => string,
  fetch: (ids: string[]) => Promise<R[]>,
  join: (node: T, row: R) => N,
): Promise<Page<N>> {
  const rows = page.edges.length ? await fetch(page.edges.map((e) => idOf(e.node))) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    pageInfo: page.pageInfo,
    edges: page.edges.filter((e) => byId.has(idOf(e.node))).map((e) => ({ cursor: e.cursor, node: join(e.node, byId.get(idOf(e.node))!) })),
  };
}

/** Swaps a page of ids for the rows loaded (with the GraphQL selection) in one query, keeping the order. */
export const withNodes = <N extends { id: string }>(page: Page<{ id: string }>, fetch: (ids: string[]) => Promise<N[]>): Promise<Page<N>> =>
  withRows(
    page,
    (node) => node.id,
    fetch,
    (_node, row) => row,
  );

/** Users by id in the context's current batch, in the order asked; ids of deleted accounts are left out. */
export async function loadUsers(ctx: Context, ids: string[]): Promise<User[]> {
  const users = await Promise.all(
    ids.map((id) =>
      batchLoad(ctx, 'users', id, async (keys) => {
        const rows = await ctx.prisma.user.findMany({ where: { id: { in: keys } } });
        return new Map(rows.map((u): [string, User] => [u.id, u]));
      }),
    ),
  );
  return users.filter((u): u is User => !!u);
}

/** The signed-in viewer as the services' Actor (UNAUTHENTICATED otherwise). */
export const actorOf = (ctx: Context) => ({ tenantId: ctx.tenant.id, userId: requireViewer(ctx).user.id });
