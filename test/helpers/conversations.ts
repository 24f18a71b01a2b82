// A group conversation with the given members, created through the API by the first of them.
import type { TestServer, TestUser } from './server.ts';

export async function createConversation(
  s: TestServer,
  members: Pick<TestUser, 'id' | 'token' | 'clientId'>[],
  title = 'Test group',
): Promise<string> {
  const [owner, ...others] = members;
  const data = await s.ok<{ createGroupConversation: { id: string } }, Record<string, unknown>>(
    'mutation($title: String!, $memberIds: [ID!]!) { createGroupConversation(title: $title, memberIds: $memberIds) { id } }',
    { title, memberIds: others.map((m) => m.id) },
    { token: owner.token, clientId: owner.clientId },
  );
  return data.createGroupConversation.id;
}

/**
 * Makes two users accepted contacts (they see each other's contact details and presence): the first starts a DIRECT
 * conversation with the second, who starts it too (which accepts the message request). Returns the conversation's id.
 */
export async function makeContacts(
  s: TestServer,
  a: Pick<TestUser, 'id' | 'token' | 'clientId'>,
  b: Pick<TestUser, 'id' | 'token' | 'clientId'>,
) {
  const started = await s.ok<{ startDirectConversation: { id: string } }, Record<string, unknown>>(
    'mutation($u: ID!) { startDirectConversation(userId: $u) { id } }',
    { u: b.id },
    { token: a.token, clientId: a.clientId },
  );
  const id = started.startDirectConversation.id;
  await s.ok('mutation($u: ID!) { startDirectConversation(userId: $u) { id } }', { u: a.id }, { token: b.token, clientId: b.clientId });
  return id;
}
