// The AI chat's hand-written statements: the usage ledger's INSERT, and the two grouped writes of saved chats (their
// start: the session, new or touched, and both messages; their end: the final answer with its usage rows), each one
// statement however many chats it carries (src/assistant/chat-writes.ts batches them).
import { randomUUID } from 'node:crypto';
import { Prisma, type ChatMessage, type ChatSession, type PrismaClient } from '../../generated/prisma/client.ts';
import type { RawClient } from './statement.ts';

/** One ledger row: what one answer spent, by a user of a tenant or a guest (userId null). */
export interface UsageRow {
  spender: { tenantId: string; userId: string | null };
  messageId: string | null;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
}

/** Ledger rows as one INSERT statement (alone, or inside the statement that saves the answers they belong to). */
function usageInsert(rows: UsageRow[]): Prisma.Sql {
  const now = new Date();
  const values = rows.map(
    (r) =>
      Prisma.sql`(${randomUUID()}, ${r.spender.tenantId}, ${r.spender.userId}, ${r.messageId}, ${r.model}, ${r.usage.inputTokens}, ${r.usage.outputTokens}, ${now})`,
  );
  return Prisma.sql`
    INSERT INTO "ChatUsageRecord" (id, "tenantId", "userId", "messageId", model, "inputTokens", "outputTokens", "createdAt")
    VALUES ${Prisma.join(values)}`;
}

export async function insertUsage(client: Pick<PrismaClient, '$executeRaw'>, rows: UsageRow[]): Promise<void> {
  await client.$executeRaw(usageInsert(rows));
}

export interface ChatStartRow {
  session: ChatSession;
  /** True for a session this chat creates; false to touch an existing one (which must still exist). */
  isNew: boolean;
  messages: ChatMessage[];
}

/** Writes chats' starts; the ids of the sessions written (a deleted existing session gets nothing). */
export async function writeChatStarts(client: RawClient, items: ChatStartRow[]): Promise<Set<string>> {
  const sessions = items.map(
    ({ session: s, isNew }) =>
      Prisma.sql`(${s.id}::text, ${s.tenantId}::text, ${s.userId}::text, ${s.title}::text, ${s.model}::text, ${s.systemPrompt}::text, ${s.updatedAt}::timestamp(3), ${isNew}::boolean)`,
  );
  const messages = items.flatMap(({ messages }) =>
    messages.map(
      (m) =>
        Prisma.sql`(${m.id}::text, ${m.sessionId}::text, ${m.tenantId}::text, ${m.userId}::text, ${m.role}::"ChatRole", ${m.content}::text, ${m.status}::"ChatMessageStatus", ${m.model}::text, ${m.parentId}::text, ${JSON.stringify(m.parts ?? [])}::jsonb, ${m.createdAt}::timestamp(3))`,
    ),
  );
  // Messages are written only for sessions that were created or touched here: a deleted session gets none.
  const rows = await client.$queryRaw<{ sessionId: string }[]>`
    WITH v(id, tenant, uid, title, model, prompt, at, fresh) AS (VALUES ${Prisma.join(sessions)}),
    created AS (
      INSERT INTO "ChatSession" (id, "tenantId", "userId", title, model, "systemPrompt", "createdAt", "updatedAt")
      SELECT id, tenant, uid, title, model, prompt, at, at FROM v WHERE fresh
      RETURNING id),
    touched AS (
      UPDATE "ChatSession" c SET "updatedAt" = v.at FROM v
      WHERE NOT v.fresh AND c.id = v.id AND c."userId" = v.uid
      RETURNING c.id),
    m(id, sid, tenant, uid, role, content, status, model, parent, parts, at) AS (VALUES ${Prisma.join(messages)})
    INSERT INTO "ChatMessage" (id, "tenantId", "userId", "sessionId", role, content, status, model, "parentId", parts, "createdAt", "updatedAt")
    SELECT m.id, m.tenant, m.uid, m.sid, m.role, m.content, m.status, m.model, m.parent, m.parts, m.at, m.at
    FROM m WHERE m.sid IN (SELECT id FROM created UNION ALL SELECT id FROM touched)
    RETURNING "sessionId"`;
  return new Set(rows.map((r) => r.sessionId));
}

export interface ChatEndRow {
  /** The answer with its final content, status, usage and updatedAt. */
  message: ChatMessage;
  usage: UsageRow;
}

/** Saves answers and inserts their usage rows (whatever happened to the answers: the provider charged for them); the ids of the answers saved. */
export async function writeChatEnds(client: RawClient, items: ChatEndRow[]): Promise<Set<string>> {
  const answers = items.map(
    ({ message: m }) =>
      Prisma.sql`(${m.id}::text, ${m.content}::text, ${m.status}::"ChatMessageStatus", ${m.inputTokens}::int, ${m.outputTokens}::int, ${m.errorCode}::text, ${JSON.stringify(m.parts ?? [])}::jsonb, ${m.updatedAt}::timestamp(3))`,
  );
  const rows = await client.$queryRaw<{ id: string }[]>`
    WITH v(id, content, status, input, output, code, parts, at) AS (VALUES ${Prisma.join(answers)}),
    ledger AS (${usageInsert(items.map((i) => i.usage))})
    UPDATE "ChatMessage" c SET content = v.content, status = v.status, "inputTokens" = v.input,
      "outputTokens" = v.output, "errorCode" = v.code, parts = v.parts, "updatedAt" = v.at
    FROM v WHERE c.id = v.id
    RETURNING c.id`;
  return new Set(rows.map((r) => r.id));
}

/** A message of a chat branch: what the model's context and the branch's page read. */
export interface ChatBranchRow {
  id: string;
  role: ChatMessage['role'];
  content: string;
  parts: ChatMessage['parts'];
  parentId: string | null;
}

/**
 * The branch ending at `leafId`: from the session's first turn down its parents to the leaf, oldest first, at most
 * `limit` messages (the ones nearest the leaf). [] when the leaf is not a message of the session. One statement: the
 * parent chain walked by a recursive query on the primary key, bounded by `limit` however long the chain.
 */
export async function chatBranch(client: RawClient, sessionId: string, leafId: string, limit: number): Promise<ChatBranchRow[]> {
  const rows = await client.$queryRaw<(ChatBranchRow & { depth: number })[]>`
    WITH RECURSIVE branch AS (
      SELECT id, role::text AS role, content, parts, "parentId", 1 AS depth
      FROM "ChatMessage" WHERE id = ${leafId} AND "sessionId" = ${sessionId}
      UNION ALL
      SELECT p.id, p.role::text, p.content, p.parts, p."parentId", b.depth + 1
      FROM "ChatMessage" p JOIN branch b ON p.id = b."parentId"
      WHERE p."sessionId" = ${sessionId} AND b.depth < ${limit})
    SELECT id, role, content, parts, "parentId", depth FROM branch ORDER BY depth DESC`;
  return rows.map(({ depth: _depth, ...r }) => ({ ...r, parts: typeof r.parts === 'string' ? JSON.parse(r.parts) : r.parts }));
}
