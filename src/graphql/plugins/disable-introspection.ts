// Rejects __schema/__type queries (on by default outside production; see INTROSPECTION), with FORBIDDEN.
// Not the maintained plugins: @envelop/disable-introspection adds graphql-js's NoSchemaIntrospectionCustomRule, whose
// errors carry no code (maskError would make them BAD_USER_INPUT) and come one per introspection field; yoga's
// useDisableIntrospection adds the same rule, and only to operations whose HTTP request it saw, so operations over
// WebSocket (validated through yoga.getEnveloped, with no request) would introspect freely.
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
