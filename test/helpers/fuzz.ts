// Deterministic generators of hostile input for test/fuzz.test.ts: random operations built from the schema (random,
// often wrong, arguments), token-level mutations of documents, random variables and malformed bodies.
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  OperationTypeNode,
  type GraphQLCompositeType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

const WEIRD_STRINGS = [
  '',
  ' ',
  'null',
  '0',
  '-1',
  '1e309',
  '<script>',
  '\'; DROP TABLE "User"; --',
  '\u0000',
  '\ud800',
  '🦜'.repeat(50),
  '%00',
  '{}',
  '${x}',
  '\\',
  '"',
];
const INTS = [0, 1, -1, 20, 100, 101, 1000, -2147483648, 2147483647, 2 ** 53];

export function randomString(r: Rng): string {
  switch (r.int(5)) {
    case 0:
      return r.pick(WEIRD_STRINGS);
    case 1:
      return 'x'.repeat(r.pick([100, 1_000, 40_000]));
    case 2:
      return Array.from({ length: r.int(20) }, () => String.fromCharCode(r.int(0xffff))).join('');
    case 3:
      return new Date(r.int(2 ** 42)).toISOString();
    default:
      return Math.random()
        .toString(36)
        .slice(2, 2 + r.int(12));
  }
}

/** Any JSON value: wrong types, huge strings, deep nesting, nulls, real ids from `ids`. */
export function randomJson(r: Rng, ids: string[], depth = 0): unknown {
  switch (r.int(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return r.pick(INTS) * (r.chance(0.5) ? 1 : -1);
    case 2:
      return r.chance(0.5) ? r.next() * 1e6 : r.pick([1e308, -0, 0.5, Number.MAX_SAFE_INTEGER + 2]);
    case 3:
    case 4:
      return randomString(r);
    case 5:
      return r.chance(0.5);
    case 6:
      return ids.length && r.chance(0.8) ? r.pick(ids) : 'cl' + r.int(1e9).toString(36);
    case 7:
      return Array.from({ length: r.int(5) }, () => randomJson(r, ids, depth + 1));
    case 8:
      return Object.fromEntries(Array.from({ length: r.int(5) }, () => [randomString(r).slice(0, 20), randomJson(r, ids, depth + 1)]));
    default: {
      // deep nesting: arrays or objects hundreds to thousands of levels down
      let v: unknown = 1;
      for (let i = r.pick([100, 500, 1_000]); i > 0; i--) v = r.chance(0.5) ? [v] : { a: v };
      return v;
    }
  }
}

/** A GraphQL literal for `type`, right most of the time, sometimes of another type. */
function literal(r: Rng, type: GraphQLInputType, ids: string[], depth: number): string {
  if (r.chance(0.08)) return r.pick(['null', '1', '"x"', 'true', '[]', '{}', 'NOPE', '1.5', '-99999999999']);
  const inner = getNullableType(type);
  if (isListType(inner)) {
    return `[${Array.from({ length: r.int(4) }, () => literal(r, inner.ofType, ids, depth + 1)).join(', ')}]`;
  }
  if (isInputObjectType(inner)) {
    if (depth > 3) return '{}';
    const fields = Object.values(inner.getFields()).filter((f) => isNonNullType(f.type) || r.chance(0.5));
    return `{ ${fields.map((f) => `${f.name}: ${literal(r, f.type, ids, depth + 1)}`).join(', ')} }`;
  }
  if (isEnumType(inner)) return r.chance(0.9) ? r.pick(inner.getValues()).name : 'NOT_A_VALUE';
  switch (inner.name) {
    case 'Int':
      return String(r.pick(INTS));
    case 'Float':
      return String(r.next() * 1000);
    case 'Boolean':
      return String(r.chance(0.5));
    case 'ID':
      return JSON.stringify(ids.length && r.chance(0.7) ? r.pick(ids) : randomString(r).slice(0, 40));
    default:
      return JSON.stringify(randomString(r));
  }
}

function selection(r: Rng, type: GraphQLCompositeType, depth: number): string {
  if (isUnionType(type) || isInterfaceType(type) || r.chance(0.05)) {
    const possible = isUnionType(type) ? type.getTypes() : isInterfaceType(type) ? [] : [type];
    const fragments = possible.slice(0, 2).map((t) => `... on ${t.name} ${selection(r, t, depth + 1)}`);
    return `{ __typename ${fragments.join(' ')} }`;
  }
  const fields = Object.values(type.getFields());
  const chosen = new Set(Array.from({ length: 1 + r.int(4) }, () => r.pick(fields)));
  const parts: string[] = [];
  for (const field of chosen) {
    const named = getNamedType(field.type);
    const args = field.args.filter((a) => isNonNullType(a.type) || r.chance(0.4));
    const argText = args.length ? `(${args.map((a) => `${a.name}: ${literal(r, a.type, [], 0)}`).join(', ')})` : '';
    if (isCompositeType(named)) {
      if (depth >= 3) continue;
      parts.push(`${field.name}${argText} ${selection(r, named, depth + 1)}`);
    } else {
      parts.push(field.name + argText);
    }
  }
  return `{ ${parts.length ? parts.join(' ') : '__typename'} }`;
}

/** A random operation on one root field of the schema, with random arguments (some passed as variables). */
export function randomOperation(
  r: Rng,
  schema: GraphQLSchema,
  ids: string[],
  kinds = [OperationTypeNode.QUERY, OperationTypeNode.MUTATION],
): { query: string; variables: Record<string, unknown> } {
  const kind = r.pick(kinds);
  const root = schema.getRootType(kind)!;
  const field = r.pick(Object.values(root.getFields()));
  const variables: Record<string, unknown> = {};
  const defs: string[] = [];
  const args = field.args
    .filter((a) => isNonNullType(a.type) || r.chance(0.5))
    .map((a) => {
      if (r.chance(0.3)) {
        defs.push(`$${a.name}: ${a.type.toString()}`);
        variables[a.name] = r.chance(0.5) ? randomJson(r, ids) : JSON.parse(JSON.stringify(literalValue(r, a.type, ids)));
        return `${a.name}: $${a.name}`;
      }
      return `${a.name}: ${literal(r, a.type, ids, 0)}`;
    });
  const named = getNamedType(field.type);
  const sel = isObjectType(named) || isInterfaceType(named) || isUnionType(named) ? ' ' + selection(r, named, 1) : '';
  const head = defs.length ? `${kind} Fuzz(${defs.join(', ')})` : kind;
  return { query: `${head} { ${field.name}${args.length ? `(${args.join(', ')})` : ''}${sel} }`, variables };
}

/** A plausible JSON value for a variable of `type` (right shape, random content). */
function literalValue(r: Rng, type: GraphQLInputType, ids: string[], depth = 0): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return Array.from({ length: r.int(4) }, () => literalValue(r, inner.ofType, ids, depth + 1));
  if (isInputObjectType(inner)) {
    if (depth > 3) return {};
    return Object.fromEntries(Object.values(inner.getFields()).map((f) => [f.name, literalValue(r, f.type, ids, depth + 1)]));
  }
  if (isEnumType(inner)) return r.pick(inner.getValues()).name;
  switch (inner.name) {
    case 'Int':
      return r.pick(INTS);
    case 'Float':
      return r.next();
    case 'Boolean':
      return r.chance(0.5);
    case 'ID':
      return ids.length ? r.pick(ids) : 'x';
    default:
      return randomString(r);
  }
}

const TOKEN = /\.\.\.|[A-Za-z_]\w*|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:\\.|[^"\\])*"|[{}()[\]:=!$@,|&]|\s+|./gs;
const GARBAGE = [
  '{',
  '}',
  '(',
  ')',
  '$',
  '@skip',
  '@include(if: $x)',
  '...',
  'fragment',
  'query',
  'mutation',
  '"',
  '"""',
  '\u0000',
  '#',
  ':',
  '[',
  '__schema',
  '__typename',
  '99999999999999999999',
  '-0',
  'null',
  'on',
  '&',
  '|',
  '=',
  '!',
  'x'.repeat(300),
];

/** The document with 1 to 4 token edits: deletion, duplication, swap, garbage insertion. */
export function mutateDocument(r: Rng, doc: string): string {
  const tokens = doc.match(TOKEN) ?? [];
  for (let edits = 1 + r.int(4); edits > 0 && tokens.length > 0; edits--) {
    const i = r.int(tokens.length);
    switch (r.int(4)) {
      case 0:
        tokens.splice(i, 1);
        break;
      case 1:
        tokens.splice(i, 0, tokens[i]);
        break;
      case 2: {
        const j = r.int(tokens.length);
        [tokens[i], tokens[j]] = [tokens[j], tokens[i]];
        break;
      }
      default:
        tokens.splice(i, 0, ' ', r.pick(GARBAGE), ' ');
    }
  }
  return tokens.join('');
}

/** A body that is not valid JSON, or JSON of the wrong shape for a GraphQL request. */
export function malformedBody(r: Rng, valid: string): string {
  switch (r.int(8)) {
    case 0:
      return valid.slice(0, r.int(valid.length));
    case 1:
      return Array.from({ length: r.int(200) }, () => String.fromCharCode(r.int(256))).join('');
    case 2:
      return r.pick([
        'null',
        '1',
        '"str"',
        'true',
        '[]',
        '[1,2]',
        '{}',
        '[[]]',
        '[null]',
        '{"query":1}',
        '{"query":null}',
        '{"query":["{ me { id } }"]}',
      ]);
    case 3:
      return JSON.stringify({ query: '{ __typename }', variables: r.pick(['str', 1, [1], true]) });
    case 4:
      return JSON.stringify({
        query: '{ __typename }',
        operationName: r.pick([1, {}, 'Nope', '']),
        extensions: r.pick([1, 'x', { persistedQuery: { sha256Hash: 'abc', version: 1 } }]),
      });
    case 5:
      return '['.repeat(r.pick([1_000, 100_000])) + ']'.repeat(r.int(10));
    case 6:
      return valid.replace(/"/g, r.pick(["'", '', '\\"']));
    default:
      return `{"query": "{ __typename }", "variables": {"a": ${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}}`;
  }
}
