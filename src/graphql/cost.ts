// Query cost: an estimate of the rows an operation can make the server load, checked after validation and before
// the context is built or anything executes (so a refused query costs no SQL). Each object field costs 1 per item it
// resolves; a connection multiplies what is under it by its page size (`first`/`last`, else the default page size);
// a plain list multiplies by LIST_FACTOR. Connection and edge wrappers (edges, node, pageInfo) cost nothing of their
// own. Scalars are free (they come with their row). Fields that scan, rank, count or aggregate cost what FIELD_COSTS
// says on top. Fragments are included, each walked once.
// The budgets (plugins/query-cost.ts): GRAPHQL_MAX_COST per HTTP request, the operations of a batch (a JSON array)
// together; GRAPHQL_MAX_EVENT_COST for what a subscription selects, since that selection runs again for every event.
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
} from 'graphql';
import { badInput } from '../errors.ts';
import { graphqlError } from './errors.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './builder.ts';

export interface CostLimits {
  /** GRAPHQL_MAX_COST: what one HTTP request (every operation of a batch together) may cost. */
  maxCost: number;
  /** GRAPHQL_MAX_EVENT_COST: what a subscription's selection may cost, paid again for every event. */
  maxEventCost: number;
  maxPageSize: number;
  defaultPageSize: number;
  /** GRAPHQL_MAX_TOKENS: the batch's documents are parsed with the same limit as every document. */
  maxTokens?: number;
}

/** What a list without pagination arguments (members, edits, sessions...) is assumed to hold. */
export const LIST_FACTOR = 10;

/**
 * A statement that reads an unbounded set of rows (every message of the viewer's conversations, a tenant's month of
 * usage) to answer with a few: it costs a full page of rows, however little it returns.
 */
const SCAN = MAX_PAGE_SIZE;

/**
 * Work a field does beyond loading the rows it returns, by schema coordinate: charged for every call, on top of
 * what its selection costs (so for every item of a list it sits under). One row loaded costs 1. A test checks that
 * every coordinate names a field of the schema.
 */
export const FIELD_COSTS: Readonly<Record<string, number>> = {
  // Matches every message of the viewer's conversations against the query and ranks every match, then the page.
  'Query.searchMessages': 2 * SCAN,
  // Two aggregate statements over every message of the viewer's conversations (totals, and 30 days by day).
  'Query.messageStats': 2 * SCAN,
  // Two sums over usage records: the viewer's day and the whole tenant's month.
  'Query.chatUsage': 2 * SCAN,
  // A case-insensitive name prefix match over the tenant's people.
  'Query.users': SCAN,
  // Counts the conversation's unread messages (one grouped statement per page, but it reads every unread row).
  'Conversation.unreadCount': DEFAULT_PAGE_SIZE,
  // Counts the viewer's own unread mentions: an index range of them alone (MessageMention by conversation, user and
  // sequence), a few rows where unreadCount reads every unread message.
  'Conversation.unreadMentionCount': 5,
  // A statement of its own for every message it is selected on (a thread panel reads one root), whatever its page size.
  'Message.replies': DEFAULT_PAGE_SIZE,
  // Decodes, re-encodes and thumbnails an image: as much work as many pages of rows.
  'Mutation.uploadAttachment': 10 * SCAN,
};
/** Whether an argument sets a page size. */
export const isPageArg = (name: string): boolean => name === 'first' || name === 'last';

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
  limits: Pick<CostLimits, 'maxPageSize' | 'defaultPageSize'>,
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
        if (!isPageArg(arg.name.value)) continue;
        const def = field.args.find((a) => a.name === arg.name.value);
        if (!def || getNamedType(def.type).name !== 'Int') continue;
        const value = numberArg(arg.value);
        if (value === null) continue;
        if (!Number.isInteger(value) || value < 0 || value > limits.maxPageSize) {
          const key = arg.name.value;
          errors.set(key, graphqlError(badInput(`${key} must be between 0 and ${limits.maxPageSize}.`, key)));
        } else {
          pageSize = Math.max(pageSize ?? 0, value);
        }
      }

      total += FIELD_COSTS[`${parent.name}.${name}`] ?? 0;
      const type = getNamedType(field.type);
      if (!isCompositeType(type) || !selection.selectionSet) continue;
      let factor = 1;
      // A page of none still runs its statement: it costs as one row, so `first: 0` aliases are not free.
      if (isConnection(type)) factor = Math.max(1, pageSize ?? limits.defaultPageSize);
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
