// Query cost: an estimate of the rows an operation can make the server load, checked after validation and before
// the context is built or anything executes (so a refused query costs no SQL). Each object field costs 1 per item it
// resolves; a connection multiplies what is under it by its page size (`first`/`last`, else the default page size);
// a plain list multiplies by LIST_FACTOR. Connection and edge wrappers (edges, node, pageInfo) cost nothing of their
// own. Scalars are free (they come with their row). Fragments are included, each walked once.
// The same pass refuses Int `first`/`last` arguments outside 0..MAX_PAGE_SIZE on every field, literal or variable.
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  getOperationAST,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { AppError, badInput } from '../errors.ts';

export interface CostLimits {
  maxCost: number;
  maxPageSize: number;
  defaultPageSize: number;
}

/** What a list without pagination arguments (members, edits, sessions...) is assumed to hold. */
export const LIST_FACTOR = 10;
const PAGE_ARGS = new Set(['first', 'last']);

/** A connection: an object type with `edges` and `pageInfo` (every Relay connection in the schema). */
function isConnection(type: GraphQLNamedType): boolean {
  if (!isObjectType(type)) return false;
  const fields = type.getFields();
  return 'edges' in fields && 'pageInfo' in fields;
}

/** An edge: an object type with `node` and `cursor`. */
function isEdge(type: GraphQLNamedType): boolean {
  if (!isObjectType(type)) return false;
  const fields = type.getFields();
  return 'node' in fields && 'cursor' in fields;
}

export interface CostResult {
  cost: number;
  errors: GraphQLError[];
}

/**
 * The cost of the operation `operationName` (every operation's, summed, when it does not name exactly one), and the
 * errors for out-of-range page sizes. Expects a valid document: unknown fields and types count nothing.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
  limits: Omit<CostLimits, 'maxCost'>,
): CostResult {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const errors = new Map<string, GraphQLError>();
  const fragmentCost = new Map<string, number>();
  const vars = variables && typeof variables === 'object' && !Array.isArray(variables) ? variables : {};

  /** A page size argument's value when it is a number (literal or variable); other values fail coercion later. */
  const numberArg = (value: ValueNode): number | null => {
    if (value.kind === Kind.INT || value.kind === Kind.FLOAT) return Number(value.value);
    if (value.kind === Kind.VARIABLE) {
      const v = vars[value.name.value];
      return typeof v === 'number' ? v : null;
    }
    return null;
  };

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, inProgress: Set<string>): number => {
    const wrapper = isConnection(parent) || isEdge(parent);
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += walk(selection.selectionSet, type, inProgress);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || inProgress.has(name)) continue; // validation refuses both; never loop
        let cost = fragmentCost.get(name);
        if (cost === undefined) {
          const type = schema.getType(fragment.typeCondition.name.value);
          inProgress.add(name);
          cost = type && isCompositeType(type) ? walk(fragment.selectionSet, type, inProgress) : 0;
          inProgress.delete(name);
          fragmentCost.set(name, cost);
        }
        total += cost;
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__')) continue; // __typename is free; introspection has its own switch (INTROSPECTION)
      if (!('getFields' in parent)) continue;
      const field = parent.getFields()[name];
      if (!field) continue;

      let pageSize: number | null = null;
      for (const arg of selection.arguments ?? []) {
        if (!PAGE_ARGS.has(arg.name.value)) continue;
        const def = field.args.find((a) => a.name === arg.name.value);
        if (!def || getNamedType(def.type).name !== 'Int') continue;
        const value = numberArg(arg.value);
        if (value === null) continue;
        if (!Number.isInteger(value) || value < 0 || value > limits.maxPageSize) {
          const key = arg.name.value;
          errors.set(key, badInput(`${key} must be between 0 and ${limits.maxPageSize}.`, key));
        } else {
          pageSize = Math.max(pageSize ?? 0, value);
        }
      }

      const type = getNamedType(field.type);
      if (!isCompositeType(type) || !selection.selectionSet) continue;
      let factor = 1;
      if (isConnection(type)) factor = pageSize ?? limits.defaultPageSize;
      else if (isListType(getNullableType(field.type)) && !wrapper) factor = LIST_FACTOR;
      total += factor * ((wrapper ? 0 : 1) + walk(selection.selectionSet, type, inProgress));
    }
    return total;
  };

  const named = getOperationAST(document, operationName ?? undefined);
  const operations = named ? [named] : document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  let cost = 0;
  for (const operation of operations) {
    const root = schema.getRootType(operation.operation);
    if (root) cost += walk(operation.selectionSet, root, new Set());
  }
  return { cost, errors: [...errors.values()] };
}

/**
 * Caches validation results by schema and document (documents come from yoga's parse cache, so a repeated query is
 * the same object). It replaces yoga's own validation cache, which stores the result after every plugin's
 * onValidate hook has run, so it would keep a variable-dependent refusal from queryCostPlugin for later requests:
 * placed just before queryCostPlugin, this one stores the plain validation result instead.
 */
export function validationCachePlugin(): Plugin {
  const cache = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly Error[]>>();
  return {
    onValidate({ params: { schema, documentAST }, setResult }) {
      let bySchema = cache.get(schema);
      if (!bySchema) cache.set(schema, (bySchema = new WeakMap()));
      const cached = bySchema.get(documentAST);
      if (cached) return setResult(cached as readonly GraphQLError[]);
      return ({ result }) => void bySchema.set(documentAST, result);
    },
  };
}

/**
 * Refuses, at validation, operations whose cost is over `maxCost` (QUERY_TOO_COMPLEX with `cost` and `maxCost` in
 * extensions) or with a page size out of range (BAD_USER_INPUT with `field`). Runs after the other validation rules
 * (so the document is valid) and on every request: the result depends on the variables, so it is never cached.
 */
export function queryCostPlugin(limits: CostLimits): Plugin {
  // The cost depends on the document, the operation and only the variables used as page sizes: remembered per
  // document (documents come from yoga's parse cache) for a few combinations of those.
  const cache = new WeakMap<DocumentNode, { pageVariables: string[]; results: Map<string, CostResult> }>();
  const costOf = (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | null | undefined) => {
    let entry = cache.get(document);
    if (!entry) {
      const pageVariables = new Set<string>();
      visit(document, {
        Argument(arg) {
          if (PAGE_ARGS.has(arg.name.value) && arg.value.kind === Kind.VARIABLE) pageVariables.add(arg.value.name.value);
        },
      });
      cache.set(document, (entry = { pageVariables: [...pageVariables], results: new Map() }));
    }
    const vars = variables && typeof variables === 'object' ? variables : {};
    const key = `${operationName ?? ''}\u0000${entry.pageVariables.map((v) => JSON.stringify(vars[v] ?? null)).join(',')}`;
    let result = entry.results.get(key);
    if (!result) {
      result = operationCost(schema, document, variables, operationName, limits);
      if (result.errors.length > 0) return result; // error objects go to one response each, never shared
      if (entry.results.size >= 16) entry.results.clear();
      entry.results.set(key, result);
    }
    return result;
  };
  return {
    onValidate({ params, context }) {
      return ({ valid, setResult }) => {
        if (!valid) return;
        const request = (context as { params?: { variables?: unknown; operationName?: string | null } }).params;
        const { cost, errors } = costOf(params.schema, params.documentAST, request?.variables as Record<string, unknown> | undefined, request?.operationName);
        if (errors.length > 0) return setResult(errors);
        if (cost > limits.maxCost) {
          setResult([
            new AppError('QUERY_TOO_COMPLEX', `This query's cost (${Math.round(cost)}) is over the limit of ${limits.maxCost}: ask for smaller pages or fewer nested lists.`, {
              cost: Math.round(cost),
              maxCost: limits.maxCost,
            }),
          ]);
        }
      };
    },
  };
}
