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

/** Swaps a page of ids for the rows loaded (with the GraphQL selection) in one query, keeping the order. */
export async function withNodes<N extends { id: string }>(
  page: Page<{ id: string }>,
  fetch: (ids: string[]) => Promise<N[]>,
): Promise<Page<N>> {
  const rows = page.edges.length ? await fetch(page.edges.map((e) => e.node.id)) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    pageInfo: page.pageInfo,
    edges: page.edges.filter((e) => byId.has(e.node.id)).map((e) => ({ cursor: e.cursor, node: byId.get(e.node.id)! })),
  };
}

/** The signed-in viewer as the services' Actor (UNAUTHENTICATED otherwise). */
export const actorOf = (ctx: Context) => ({ tenantId: ctx.tenant.id, userId: requireViewer(ctx).user.id });
