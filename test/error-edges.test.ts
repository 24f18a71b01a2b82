// One error vocabulary, mapped at each edge: an AppError is a plain Error (services and REST need no graphql), GraphQL
// over HTTP and over WebSocket send it as the same error object, and REST answers it in better-auth's terms.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { AppError, badInput } from '../src/errors.ts';
import { graphqlError } from '../src/graphql/errors.ts';
import { toRestError } from '../src/auth/rest/http.ts';
import { useServer } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';

const ChangePassword = 'mutation($old: String!, $new: String!) { changePassword(currentPassword: $old, newPassword: $new) }';

describe('the error vocabulary is transport-neutral', () => {
  it('AppError is a plain Error with a code, a status and details; errors.ts imports nothing of graphql', () => {
    const e = badInput('Nope.', 'email', 'SOME_REASON');
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(GraphQLError);
    expect([e.code, e.status, e.details, e.message]).toEqual(['BAD_USER_INPUT', 400, { field: 'email', reason: 'SOME_REASON' }, 'Nope.']);
    expect(readFileSync(new URL('../src/errors.ts', import.meta.url), 'utf8')).not.toMatch(/from ['"]graphql/);
  });

  it('one AppError: its code and details as GraphQL extensions, its status and retry time over REST', () => {
    const e = new AppError('RATE_LIMITED', 'Slow down.', { retryAfter: 7 });
    expect(JSON.parse(JSON.stringify(graphqlError(e)))).toEqual({
      message: 'Slow down.',
      extensions: { code: 'RATE_LIMITED', retryAfter: 7 },
    });
    const rest = toRestError(e);
    expect([rest.status, rest.headers['retry-after']]).toEqual([429, '7']);
  });
});

describe('the same service error at every edge', () => {
  const server = useServer();

  it('a wrong current password: the same error over GraphQL HTTP and WebSocket, INVALID_PASSWORD over REST', async () => {
    const s = server();
    const u = await s.user();
    const variables = { old: 'not the password', new: 'another good password' };
    const overHttp = await s.gql(ChangePassword, variables, { token: u.token });
    const overWs = (await subscribe(s.ws({ token: u.token }), ChangePassword, variables).next()) as ExecutionResult;
    const expected = {
      message: 'The current password is not correct.',
      extensions: { code: 'BAD_USER_INPUT', field: 'currentPassword', reason: 'INVALID_PASSWORD', requestId: expect.any(String) },
    };
    expect(overHttp.errors).toEqual([expected]);
    expect(overWs.errors).toEqual([expected]);

    const rest = await fetch(`${s.url}/api/auth/change-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.token}` },
      body: JSON.stringify({ currentPassword: variables.old, newPassword: variables.new }),
    });
    expect([rest.status, await rest.json()]).toEqual([400, { message: 'Invalid password', code: 'INVALID_PASSWORD' }]);
  });
});
