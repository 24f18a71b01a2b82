// A tenant of its own for each moderation test: its first user (its ADMIN), a MODERATOR the admin appointed through
// the API, and plain users; and readers of GraphQL error codes.
import { expect } from 'vitest';
import type { TestServer, TestUser } from './server.ts';

let counter = 0;

/** A new tenant on `s` (its id is the X-Client-ID its users send). */
export async function newTenant(s: TestServer): Promise<string> {
  const id = `m${process.pid}x${Date.now().toString(36)}x${counter++}`;
  await s.services().tenants.add(id);
  return id;
}

export interface Team {
  tenant: string;
  admin: TestUser;
  moderator: TestUser;
  users: TestUser[];
}

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] };
export const code = (r: Result) => r.errors?.[0]?.extensions?.code;
export const reason = (r: Result) => r.errors?.[0]?.extensions?.reason;

/** Runs `query` as `who` (in their tenant) and returns the whole result. */
export const as = <R = Record<string, unknown>>(s: TestServer, who: TestUser, query: string, variables: Record<string, unknown> = {}) =>
  s.gql<R, Record<string, unknown>>(query, variables, { token: who.token, clientId: who.clientId });

/** Like `as`, but fails the test on errors and returns data. */
export const ok = <R = Record<string, unknown>>(s: TestServer, who: TestUser, query: string, variables: Record<string, unknown> = {}) =>
  s.ok<R, Record<string, unknown>>(query, variables, { token: who.token, clientId: who.clientId });

export const SET_ROLE = 'mutation($u: ID!, $r: TenantRole!) { setUserRole(userId: $u, role: $r) { id role } }';

/** A tenant with its admin (the first to sign up), a moderator and `plain` users. */
export async function team(s: TestServer, plain = 2): Promise<Team> {
  const tenant = await newTenant(s);
  const admin = await s.user({ clientId: tenant });
  const moderator = await s.user({ clientId: tenant });
  const users: TestUser[] = [];
  for (let i = 0; i < plain; i++) users.push(await s.user({ clientId: tenant }));
  expect(await ok(s, admin, SET_ROLE, { u: moderator.id, r: 'MODERATOR' })).toEqual({
    setUserRole: { id: moderator.id, role: 'MODERATOR' },
  });
  return { tenant, admin, moderator, users };
}

/** A group of `members` created by the first of them; returns its id. */
export async function group(s: TestServer, members: TestUser[], title = 'Moderated group'): Promise<string> {
  const [owner, ...others] = members;
  const data = await ok<{ createGroupConversation: { id: string } }>(
    s,
    owner,
    'mutation($t: String!, $m: [ID!]!) { createGroupConversation(title: $t, memberIds: $m) { id } }',
    { t: title, m: others.map((u) => u.id) },
  );
  return data.createGroupConversation.id;
}

/** Sends `content` to a conversation as `who`; returns the stored message. */
export async function send(s: TestServer, who: TestUser, conversationId: string, content: string) {
  const data = await ok<{ sendMessage: { id: string; content: string } }>(
    s,
    who,
    'mutation($c: ID!, $t: String!) { sendMessage(input: { conversationId: $c, content: $t }) { id content } }',
    { c: conversationId, t: content },
  );
  return data.sendMessage;
}
