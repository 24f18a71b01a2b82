// Per-request batching for fields that would otherwise query once per parent (unread counts, last messages,
// read receipts): keys asked for in the same tick share one query. Nothing is cached across batches, because a
// subscription reuses one context for every event and read state moves between events.
import { requireViewer, type Context } from '../graphql/context.ts';
import type { Page } from './input.ts';

type Batch = { keys: Set<string>; result: Promise<Map<string, unknown>> };
const batches = new WeakMap<object, Map<string, Batch>>();

export function batchLoad<V>(ctx: Context, name: string, key: string, fetch: (keys: string[]) => Promise<Map<string, V>>): Promise<V | undefined> {
  let byName = batches.get(ctx);
  if (!byName) batches.set(ctx, (byName = new Map()));
  let batch = byName.get(name);
  if (!batch) {
    const keys = new Set<string>();
    const result = new Promise<Map<string, unknown>>((resolve, reject) => {
      setImmediate(() => {
        byName.delete(name);
        fetch([...keys]).then(resolve, reject);
      });
    });
    batch = { keys, result };
    byName.set(name, batch);
  }
  batch.keys.add(key);
  return batch.result.then((map) => map.get(key) as V | undefined);
}

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
  withRows(page, (node) => node.id, fetch, (_node, row) => row);

/** The signed-in viewer as the services' Actor (UNAUTHENTICATED otherwise). */
export const actorOf = (ctx: Context) => ({ tenantId: ctx.tenant.id, userId: requireViewer(ctx).user.id });
