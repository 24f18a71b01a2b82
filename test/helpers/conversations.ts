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
