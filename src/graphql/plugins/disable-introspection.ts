// Rejects __schema/__type queries (on by default outside production; see INTROSPECTION).
import { GraphQLError, type FieldNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function disableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule((context: ValidationContext) => ({
        Field(node: FieldNode) {
          if (node.name.value === '__schema' || node.name.value === '__type') {
            context.reportError(
              new GraphQLError('Introspection is disabled on this server.', { nodes: [node], extensions: { code: 'FORBIDDEN' } }),
            );
          }
        },
      }));
    },
  };
}
