// refuseRequest() and requestIdOf() (src/http/graphql-request.ts), in process: the checks /graphql makes before yoga
// sees a request, called with request heads. Over real HTTP, test/server.test.ts sends an oversized body (413) and
// form and text POSTs (415), test/compliance-http.test.ts a chunked body (411), test/observability.test.ts a kept
// and a replaced X-Request-Id; here are the cases and edges those leave out.
import { describe, expect, it } from 'vitest';
import { refuseRequest, requestIdOf, type RequestHead } from '../src/http/graphql-request.ts';

const MAX = 4096;
const get = (query: string): RequestHead => ({ method: 'GET', url: `/graphql?${query}`, headers: {} }) as RequestHead;
const post = (headers: Record<string, string>): RequestHead => ({ method: 'POST', url: '/graphql', headers }) as RequestHead;
const q = encodeURIComponent('{ __typename }');

describe('refuseRequest', () => {
  it('refuses GET variables or extensions that are not JSON with 400 BAD_USER_INPUT naming the parameter', () => {
    expect(refuseRequest(get(`query=${q}&variables=${encodeURIComponent('{"a":')}`), MAX)).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: 'The variables parameter is not valid JSON.',
    });
    expect(refuseRequest(get(`query=${q}&extensions=nope`), MAX)).toMatchObject({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: /extensions/,
    });
  });

  it('lets GET through with JSON parameters, empty or absent ones, and leaves the rest of GET to yoga', () => {
    expect(refuseRequest(get(`query=${q}&variables=${encodeURIComponent('{"a":1}')}&extensions=null`), MAX)).toBeNull();
    expect(refuseRequest(get(`query=${q}&variables=&extensions=`), MAX)).toBeNull();
    expect(refuseRequest(get(''), MAX)).toBeNull();
    // a GET body is never read, so its headers are not checked
    expect(
      refuseRequest(
        { method: 'GET', url: '/graphql', headers: { 'content-length': String(MAX + 1), 'content-type': 'text/plain' } } as RequestHead,
        MAX,
      ),
    ).toBeNull();
  });

  it('takes a body of exactly MAX_BODY_BYTES, refuses one byte more (413) before looking at its type', () => {
    expect(refuseRequest(post({ 'content-length': String(MAX), 'content-type': 'application/json' }), MAX)).toBeNull();
    expect(refuseRequest(post({ 'content-length': String(MAX + 1), 'content-type': 'text/plain' }), MAX)).toEqual({
      status: 413,
      code: 'BAD_USER_INPUT',
      message: `Request body is larger than ${MAX} bytes.`,
    });
  });

  it('refuses a chunked body without Content-Length (411); a POST with neither header is only checked for its type', () => {
    expect(refuseRequest(post({ 'transfer-encoding': 'chunked', 'content-type': 'application/json' }), MAX)).toMatchObject({
      status: 411,
      code: 'BAD_USER_INPUT',
    });
    expect(refuseRequest(post({ 'content-type': 'application/json' }), MAX)).toBeNull();
  });

  it('takes the GraphQL JSON media types in any case and with parameters; anything else is 415', () => {
    for (const type of [
      'application/json',
      'Application/JSON; charset=utf-8',
      'application/graphql-response+json',
      ' application/graphql+json ;x=1',
    ]) {
      expect(refuseRequest(post({ 'content-length': '2', 'content-type': type }), MAX), type).toBeNull();
    }
    for (const type of [
      '',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/x-www-form-urlencoded, application/json',
    ]) {
      expect(refuseRequest(post({ 'content-length': '2', ...(type ? { 'content-type': type } : {}) }), MAX), type).toEqual({
        status: 415,
        code: 'BAD_USER_INPUT',
        message: 'POST bodies must be application/json.',
      });
    }
  });

  it('leaves other methods to yoga (which answers 405)', () => {
    for (const method of ['PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      expect(
        refuseRequest(
          { method, url: '/graphql', headers: { 'transfer-encoding': 'chunked', 'content-type': 'text/plain' } } as RequestHead,
          MAX,
        ),
      ).toBeNull();
    }
  });
});

describe('requestIdOf', () => {
  it('keeps an id of up to 100 id characters, replaces a longer one or a repeated header', () => {
    const id = 'a'.repeat(100);
    expect(requestIdOf({ headers: { 'x-request-id': id } })).toBe(id);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(requestIdOf({ headers: { 'x-request-id': id + 'a' } })).toMatch(uuid);
    expect(requestIdOf({ headers: { 'x-request-id': ['one', 'two'] as unknown as string } })).toMatch(uuid);
    expect(requestIdOf({ headers: {} })).toMatch(uuid);
  });
});
