// Fixture setup for presence and typing tests: a conversation with members, written straight to the database.
// (The messaging API that creates conversations is built on another branch; this factory stands in until then.)
import type { TestServer, TestUser } from './server.ts';

export async function createConversation(s: TestServer, members: Pick<TestUser, 'id'>[]): Promise<string> {
  const { tenantId } = await s.db.prisma.user.findUniqueOrThrow({ where: { id: members[0].id }, select: { tenantId: true } });
  const conversation = await s.db.prisma.conversation.create({
    data: { tenantId, kind: 'GROUP', members: { create: members.map((m) => ({ userId: m.id })) } },
  });
  return conversation.id;
}
