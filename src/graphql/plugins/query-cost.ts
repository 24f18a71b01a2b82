// The query cost budgets (the cost model is ../cost.ts), checked at validation, before the context is built or anything
// runs, so a refused operation costs no SQL:
// - GRAPHQL_MAX_COST per HTTP request: the operations of a batch (a JSON array) share it;
// - GRAPHQL_MAX_EVENT_COST for a subscription, over WebSocket and SSE alike: its selection is priced once at subscribe
//   time but executes again for every event it receives, on every subscription a client keeps open, so what it may
//   select per event is a budget of its own, far smaller than a request's.
import { getOperationAST, parse, visit, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors.ts';
import { graphqlError } from '../errors.ts';
import { operationCost, isPageArg, type CostLimits, type CostResult } from '../cost.ts';

/**
 * What an HTTP request with a batch (a JSON array of operations) keeps on its server context, which every operation
 * of the batch sees (yoga gives each one a context inheriting from it): the operations, and their cost once known.
 */
interface BatchBudget {
  batch?: { operations: unknown[]; cost?: number };
}

/**
 * Every operation of a batch, parsed as yoga parses it. What is not an operation with a document that parses costs
 * nothing: it fails on its own.
 */
function batchCost(schema: GraphQLSchema, operations: unknown[], limits: CostLimits): number {
  let cost = 0;
  for (const operation of operations) {
    const { query, variables, operationName } = (operation ?? {}) as Partial<GraphQLParams>;
    if (typeof query !== 'string') continue;
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true, maxTokens: limits.maxTokens });
    } catch {
      continue;
    }
    cost += operationCost(schema, document, variables, operationName, limits).cost;
  }
  return cost;
}

/** QUERY_TOO_COMPLEX with the cost and the budget it is over (`maxCost`). */
const tooComplex = (cost: number, maxCost: number, what: string) =>
  graphqlError(
    new AppError(
      'QUERY_TOO_COMPLEX',
      `${what} (${Math.round(cost)}) is over the limit of ${maxCost}: ask for smaller pages or fewer nested lists.`,
      {
        cost: Math.round(cost),
        maxCost,
      },
    ),
  );

/**
 * Refuses, at validation, operations whose cost is over their budget (QUERY_TOO_COMPLEX with `cost` and `maxCost` in
 * extensions) or with a page size out of range (BAD_USER_INPUT with `field`). Runs after the other validation rules
 * (so the document is valid) and on every request: the result depends on the variables, so it is never cached.
 * A subscription's budget is `maxEventCost`, a query's or mutation's `maxCost`. The operations of a batch share one
 * budget: the first of them to be validated prices them all, and when together they are over, every one of them is
 * refused, before any of them runs.
 */
export function queryCostPlugin(limits: CostLimits): Plugin {
  // The cost depends on the document, the operation and only the variables used as page sizes: remembered per
  // document (documents come from yoga's parse cache) for the 16 combinations of those used last.
  const cache = new WeakMap<DocumentNode, { pageVariables: string[]; results: LRUCache<string, CostResult> }>();
  const costOf = (
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    operationName: string | null | undefined,
  ) => {
    let entry = cache.get(document);
    if (!entry) {
      const pageVariables = new Set<string>();
      visit(document, {
        Argument(arg) {
          if (isPageArg(arg.name.value) && arg.value.kind === Kind.VARIABLE) pageVariables.add(arg.value.name.value);
        },
      });
      cache.set(document, (entry = { pageVariables: [...pageVariables], results: new LRUCache({ max: 16 }) }));
    }
    const vars = variables && typeof variables === 'object' ? variables : {};
    const key = `${operationName ?? ''}\u0000${entry.pageVariables.map((v) => JSON.stringify(vars[v] ?? null)).join(',')}`;
    let result = entry.results.get(key);
    if (!result) {
      result = operationCost(schema, document, variables, operationName, limits);
      if (result.errors.length > 0) return result; // error objects go to one response each, never shared
      entry.results.set(key, result);
    }
    return result;
  };
  return {
    onRequestParse({ serverContext }) {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult)) (serverContext as BatchBudget).batch = { operations: requestParserResult };
        },
      };
    },
    onValidate({ params, context }) {
      return ({ valid, setResult }) => {
        if (!valid) return;
        const request = (context as { params?: { variables?: unknown; operationName?: string | null } }).params;
        const { cost, errors } = costOf(
          params.schema,
          params.documentAST,
          request?.variables as Record<string, unknown> | undefined,
          request?.operationName,
        );
        if (errors.length > 0) return setResult(errors);
        if (getOperationAST(params.documentAST, request?.operationName ?? undefined)?.operation === 'subscription') {
          if (cost > limits.maxEventCost)
            setResult([tooComplex(cost, limits.maxEventCost, 'The cost of what this subscription selects for every event')]);
          return;
        }
        if (cost > limits.maxCost) return setResult([tooComplex(cost, limits.maxCost, "This query's cost")]);
        const batch = (context as BatchBudget).batch;
        if (!batch) return;
        batch.cost ??= batchCost(params.schema, batch.operations, limits);
        if (batch.cost > limits.maxCost)
          setResult([tooComplex(batch.cost, limits.maxCost, 'The cost of the operations of this request together')]);
      };
    },
  };
}
