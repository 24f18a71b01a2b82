// Validation results cached by schema and document (documents come from yoga's parse cache, so a repeated query is the
// same object). It replaces yoga's own validation cache, which stores the result after every plugin's onValidate hook
// has run, so it would keep a variable-dependent refusal from queryCostPlugin for later requests: placed just before
// queryCostPlugin, this one stores the plain validation result instead.
import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

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
