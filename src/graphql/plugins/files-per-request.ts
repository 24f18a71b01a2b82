// At most `maxFiles` uploads per HTTP request. A multipart `map` may point one file part at many variable paths, a
// batch may carry many operations, and an operation may pass one File variable to many fields (aliases): without a
// bound, one request of 25 MB could start hundreds of image decodes. Two checks keep it to `maxFiles`, before any
// resolver runs: the files among the parsed variables of every operation of the request (each path the map names
// counts, the same part named twice counts twice), and the uses of File variables in the operation executed.
import { GraphQLError, Kind, visit, type DocumentNode, type OperationDefinitionNode, type TypeNode } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { AppError } from '../../errors.ts';
import { graphqlError } from '../errors.ts';

/** The scalar uploads arrive as (attachments.schema.ts). */
const FILE_SCALAR = 'File';

export function filesPerRequestPlugin(maxFiles: number): Plugin {
  const tooMany = () =>
    new AppError('BAD_USER_INPUT', `A request uploads at most ${maxFiles} file${maxFiles === 1 ? '' : 's'}.`, {
      reason: 'TOO_MANY_FILES',
      limit: maxFiles,
    });
  return {
    onRequestParse() {
      return {
        onRequestParseDone({ requestParserResult }) {
          const operations: GraphQLParams[] = Array.isArray(requestParserResult) ? requestParserResult : [requestParserResult];
          let files = 0;
          for (const params of operations) files += countFiles(params?.variables);
          if (files > maxFiles) {
            const error = graphqlError(tooMany());
            throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
          }
        },
      };
    },
    onExecute({ args, setResultAndStopExecution }) {
      if (fileVariableUses(args.document, args.operationName) > maxFiles) setResultAndStopExecution({ errors: [graphqlError(tooMany())] });
    },
  };
}

/** A WHATWG File (or Blob), as yoga's multipart parser puts them among the variables. */
const isFile = (value: object) =>
  typeof (value as { arrayBuffer?: unknown }).arrayBuffer === 'function' && typeof (value as { size?: unknown }).size === 'number';

/** Files in a JSON-like value, arrays and plain objects walked (variables come from JSON.parse). */
function countFiles(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (isFile(value)) return 1;
  let n = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) n += countFiles(item);
  return n;
}

/** How many times the executed operation (and the fragments in the document) use a variable declared of type File. */
function fileVariableUses(document: DocumentNode, operationName: string | null | undefined): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  const files = new Set(
    (operation?.variableDefinitions ?? []).filter((v) => namedType(v.type) === FILE_SCALAR).map((v) => v.variable.name.value),
  );
  if (files.size === 0) return 0;
  let uses = 0;
  for (const definition of document.definitions) {
    if (definition !== operation && definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    visit(definition, {
      VariableDefinition: () => false,
      Variable(node) {
        if (files.has(node.name.value)) uses++;
      },
    });
  }
  return uses;
}

const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));
