// disableIntrospection (src/graphql/plugins/disable-introspection.ts), in process: with introspection off (INTROSPECTION
// false, the production default) __schema and __type are refused with FORBIDDEN wherever they sit in a document, at
// validation, so over WebSocket too (realtime/ws.ts validates through yoga.getEnveloped); __typename still answers.
import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { disableIntrospection } from '../src/graphql/plugins/disable-introspection.ts';
import { post, testYoga, type Result } from './helpers/yoga.ts';

const REFUSED = { message: 'Introspection is disabled on this server.', extensions: { code: 'FORBIDDEN' } };

describe('disableIntrospection plugin', () => {
  const yoga = testYoga({ plugins: [disableIntrospection()] });

  it('refuses __schema and __type, at the root, in a fragment and beside other fields, with FORBIDDEN', async () => {
    const documents = [
      '{ __schema { queryType { name } } }',
      '{ __type(name: "Query") { name } }',
      '{ hello ...Schema } fragment Schema on Query { __schema { types { name } } }',
      '{ hello ... on Query { __type(name: "Item") { fields { name } } } }',
    ];
    for (const query of documents) {
      const result = await post(yoga, { query });
      expect(result.data, query).toBeUndefined();
      expect(result.errors, query).toEqual([expect.objectContaining(REFUSED)]);
    }
  });

  it('answers __typename and ordinary fields', async () => {
    expect(await post(yoga, { query: '{ __typename hello }' })).toEqual({ data: { __typename: 'Query', hello: 'hi' } });
  });

  it('refuses through getEnveloped too, the path WebSocket operations take', () => {
    const { parse, validate, schema } = yoga.getEnveloped({});
    const errors: readonly GraphQLError[] = validate(schema, parse('{ __schema { queryType { name } } }'));
    expect(errors.map((e) => ({ message: e.message, code: e.extensions.code }))).toEqual([{ message: REFUSED.message, code: 'FORBIDDEN' }]);
  });

  it('is the only thing refusing introspection: the same yoga without it answers', async () => {
    const open = testYoga({ plugins: [] });
    const result = await post<Result>(open, { query: '{ __schema { queryType { name } } }' });
    expect(result).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });
});
