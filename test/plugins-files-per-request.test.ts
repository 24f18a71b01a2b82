// filesPerRequestPlugin (src/graphql/plugins/files-per-request.ts), in process: a multipart request uploads at most
// `maxFiles` files however it names them (one part at many paths, many parts, a list, a batch) or uses them (one File
// variable passed to many fields, directly or through fragments); past that, BAD_USER_INPUT with reason TOO_MANY_FILES
// and no resolver runs.
import { describe, expect, it } from 'vitest';
import { createSchema } from 'graphql-yoga';
import type { Context } from '../src/graphql/context.ts';
import { filesPerRequestPlugin } from '../src/graphql/plugins/files-per-request.ts';
import { post, testYoga, type Result } from './helpers/yoga.ts';

let resolved = 0;
const schema = createSchema<Context>({
  typeDefs: /* GraphQL */ `
    scalar File
    type Query {
      hello: String!
    }
    type Mutation {
      upload(file: File!): Int!
      uploadMany(files: [File!]!): Int!
    }
  `,
  resolvers: {
    Query: { hello: () => 'hi' },
    Mutation: {
      upload: (_: unknown, { file }: { file: Blob }) => (resolved++, file.size),
      uploadMany: (_: unknown, { files }: { files: Blob[] }) => (resolved++, files.length),
    },
  },
});

const UPLOAD = 'mutation($f: File!) { upload(file: $f) }';

/** A multipart request: `operations`, `map`, then one small part per name in `parts`. */
async function multipart(yoga: ReturnType<typeof testYoga>, operations: unknown, map: Record<string, string[]>, parts = ['0']) {
  const form = new FormData();
  form.set('operations', JSON.stringify(operations));
  form.set('map', JSON.stringify(map));
  for (const part of parts) form.set(part, new Blob(['bytes']), `${part}.txt`);
  const res = await yoga.fetch('http://yoga/graphql', { method: 'POST', body: form });
  return { status: res.status, ...((await res.json()) as Result) };
}

describe('filesPerRequest plugin', () => {
  const yoga = testYoga({ plugins: [filesPerRequestPlugin(1)], schema, batching: true });
  const TOO_MANY = { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_FILES', limit: 1 };

  it('takes one file, and requests without files', async () => {
    expect(await multipart(yoga, { query: UPLOAD, variables: { f: null } }, { 0: ['variables.f'] })).toEqual({
      status: 200,
      data: { upload: 5 },
    });
    expect(await post(yoga, { query: '{ hello }' })).toEqual({ data: { hello: 'hi' } });
  });

  it('refuses a second file however the map names it, before any resolver', async () => {
    const before = resolved;
    const two = 'mutation($a: File!, $b: File!) { a: upload(file: $a) b: upload(file: $b) }';
    const single = { query: UPLOAD, variables: { f: null } };
    const refusals: [unknown, Record<string, string[]>, string[]?][] = [
      [{ query: two, variables: { a: null, b: null } }, { 0: ['variables.a', 'variables.b'] }],
      [{ query: two, variables: { a: null, b: null } }, { 0: ['variables.a'], 1: ['variables.b'] }, ['0', '1']],
      [
        { query: 'mutation($f: [File!]!) { uploadMany(files: $f) }', variables: { f: [null, null] } },
        { 0: ['variables.f.0', 'variables.f.1'] },
      ],
      [[single, single], { 0: ['0.variables.f'], 1: ['1.variables.f'] }, ['0', '1']],
    ];
    for (const [operations, map, parts] of refusals) {
      const answer = await multipart(yoga, operations, map, parts);
      expect([answer.status, answer.errors?.[0].extensions], JSON.stringify(map)).toEqual([400, expect.objectContaining(TOO_MANY)]);
    }
    expect(resolved).toBe(before);
  });

  it('refuses one File variable passed to two fields, directly or through fragments', async () => {
    const before = resolved;
    for (const query of [
      'mutation($f: File!) { a: upload(file: $f) b: upload(file: $f) }',
      'mutation($f: File!) { a: upload(file: $f) ...B } fragment B on Mutation { b: upload(file: $f) }',
    ]) {
      const answer = await multipart(yoga, { query, variables: { f: null } }, { 0: ['variables.f'] });
      expect(answer.errors?.[0].extensions, query).toEqual(expect.objectContaining(TOO_MANY));
      expect(answer.data ?? null, query).toBeNull();
    }
    expect(resolved).toBe(before);
  });

  it('takes as many as it is given', async () => {
    const two = testYoga({ plugins: [filesPerRequestPlugin(2)], schema });
    const answer = await multipart(
      two,
      { query: 'mutation($a: File!, $b: File!) { a: upload(file: $a) b: upload(file: $b) }', variables: { a: null, b: null } },
      { 0: ['variables.a'], 1: ['variables.b'] },
      ['0', '1'],
    );
    expect(answer).toEqual({ status: 200, data: { a: 5, b: 5 } });
  });
});
