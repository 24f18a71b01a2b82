// No string an operation carries may hold NUL (U+0000) or an unpaired surrogate: PostgreSQL text cannot store either, so one that reached a
// statement failed there as an internal error. Decided here once for every argument of every field, whatever its
// type and however deep in input objects and lists, from literals, variables and variable defaults alike.
//
// Checked at validation, like the query cost: the one step every operation passes, over HTTP, SSE and WebSocket,
// before its context is built or any resolver runs (so a refused operation costs no SQL and nothing is half done).
// Pothos resolver wrapping would see coerced arguments but runs per field during execution, and not for WebSocket
// subscriptions that skip envelop's subscribe (GraphQLYoga.subscribeOverSocket).
import { Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { fieldWithNul, nulRefused, unstorable } from '../text-rules.ts';
import { graphqlError } from './errors.ts';

/** The argument or input field holding a NUL in `document` or its `variables`, or null when there is none. */
export function nulInputField(document: DocumentNode, variables: unknown): string | null {
  /** Variable name -> the argument or input field it is passed as (the name a client recognises). */
  const passedAs = new Map<string, string>();
  const nameOf = (variable: string) => passedAs.get(variable) ?? variable;
  let literal = null as { field: string } | { defaultOf: string } | null;

  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (literal !== null || !unstorable(node.value)) return;
      const owner = nearestOwner([...ancestors, parent!]);
      if (owner?.kind === Kind.VARIABLE_DEFINITION) literal = { defaultOf: owner.variable.name.value };
      else literal = { field: owner?.name.value ?? 'query' };
    },
    Variable(node, _key, parent, _path, ancestors) {
      const owner = nearestOwner([...ancestors, parent!]);
      if (owner && owner.kind !== Kind.VARIABLE_DEFINITION && !passedAs.has(node.name.value))
        passedAs.set(node.name.value, owner.name.value);
    },
  });
  if (literal !== null) return 'field' in literal ? literal.field : nameOf(literal.defaultOf);
  if (!variables || typeof variables !== 'object' || Array.isArray(variables)) return null;
  for (const [name, value] of Object.entries(variables)) {
    const field = fieldWithNul(value, nameOf(name));
    if (field !== null) return field;
  }
  return null;
}

/** The argument, input-object field or variable definition a value sits in (`path`: its ancestors, parent last). */
function nearestOwner(path: readonly (ASTNode | readonly ASTNode[])[]) {
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    if ('kind' in node && (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD || node.kind === Kind.VARIABLE_DEFINITION))
      return node;
  }
  return null;
}

/**
 * Refuses, at validation, operations with a NUL character in any input string: BAD_USER_INPUT naming the argument
 * or input field in `extensions.field`. Never cached (the variables change from request to request).
 */
export function inputStringsPlugin(): Plugin {
  return {
    onValidate({ params, context }) {
      return ({ valid, setResult }) => {
        if (!valid) return;
        const variables = (context as { params?: { variables?: unknown } }).params?.variables;
        const field = nulInputField(params.documentAST, variables);
        if (field !== null) setResult([graphqlError(nulRefused(field))]);
      };
    },
  };
}
