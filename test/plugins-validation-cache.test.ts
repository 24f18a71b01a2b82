// validationCachePlugin (src/graphql/plugins/validation-cache.ts), in process: a document yoga has parsed before is
// validated once, valid or not, and later requests get the stored result; what is stored is the plain validation
// result, so a refusal that depends on the variables (queryCostPlugin, placed after it) is decided again every time.
import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { queryCostPlugin } from '../src/graphql/plugins/query-cost.ts';
import { validationCachePlugin } from '../src/graphql/plugins/validation-cache.ts';
import { post, testYoga } from './helpers/yoga.ts';

/** A validation rule that counts the times graphql-js really validates a document. */
function countingRule() {
  const counted = { validations: 0 };
  const plugin: Plugin = {
    onValidate({ addValidationRule }) {
      addValidationRule(() => (counted.validations++, {}));
    },
  };
  return { plugin, counted };
}

const PAGE = 'query Page($n: Int) { items(first: $n) { edges { node { id } } } }';

describe('validationCachePlugin', () => {
  it('validates a document once: the same query again is answered without validating', async () => {
    const { plugin, counted } = countingRule();
    const yoga = testYoga({ plugins: [plugin, validationCachePlugin()] });
    for (let i = 0; i < 3; i++) expect(await post(yoga, { query: '{ hello }' })).toEqual({ data: { hello: 'hi' } });
    expect(counted.validations).toBe(1);
    await post(yoga, { query: '{ hello __typename }' });
    expect(counted.validations).toBe(2);
  });

  it('keeps the errors of an invalid document too, the same every time', async () => {
    const { plugin, counted } = countingRule();
    const yoga = testYoga({ plugins: [plugin, validationCachePlugin()] });
    const first = await post(yoga, { query: '{ nope }' });
    const second = await post(yoga, { query: '{ nope }' });
    expect(first.errors).toEqual([expect.objectContaining({ message: 'Cannot query field "nope" on type "Query".' })]);
    expect(second).toEqual(first);
    expect(counted.validations).toBe(1);
  });

  it('stores the result before the cost check: the same document is refused or answered by its variables', async () => {
    const { plugin, counted } = countingRule();
    const limits = { maxCost: 50, maxEventCost: 10, maxPageSize: 100, defaultPageSize: 20 };
    const yoga = testYoga({ plugins: [plugin, validationCachePlugin(), queryCostPlugin(limits)] });
    for (const [n, code] of [
      [60, 'QUERY_TOO_COMPLEX'],
      [10, undefined],
      [60, 'QUERY_TOO_COMPLEX'],
      [20, undefined],
    ] as const) {
      const result = await post(yoga, { query: PAGE, variables: { n } });
      expect(result.errors?.[0]?.extensions?.code, `first: ${n}`).toBe(code);
    }
    expect(counted.validations).toBe(1);
  });
});
