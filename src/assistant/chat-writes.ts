// The two writes of every saved chat, each one statement, grouped across chats: the start (the session, new or
// touched, and both messages) and the end (the final answer and its usage record). Chats that start or end while
// such a write is in flight go out together in the next statement (src/db/batch.ts), so 200 chats starting at once
// cost a handful of statements, not 200 transactions.
import { Prisma, type PrismaClient, type ChatSession, type ChatMessage } from '../generated/prisma/client.ts';
import { Batcher } from '../db/batch.ts';
import { Budgets, type UsageRow } from './budgets.ts';

export interface StartWrite {
  session: ChatSession;
  /** True for a session this chat creates; false to touch an existing one (which must still exist). */
  isNew: boolean;
  messages: ChatMessage[];
}

export interface EndWrite {
  /** The answer with its final content, status, usage and updatedAt. */
  message: ChatMessage;
  usage: UsageRow;
}

export class ChatWrites {
  private readonly starts: Batcher<StartWrite, boolean>;
  private readonly ends: Batcher<EndWrite, boolean>;

  constructor(private readonly prisma: PrismaClient) {
    this.starts = new Batcher((items) => this.writeStarts(items));
    this.ends = new Batcher((items) => this.writeEnds(items));
  }

  /** Writes a chat's start; false when an existing session was deleted meanwhile (nothing written). */
  start(write: StartWrite): Promise<boolean> {
    return this.starts.add(write);
  }

  /** Saves an answer and records its usage; false when the answer is gone (its session was deleted). */
  end(write: EndWrite): Promise<boolean> {
    return this.ends.add(write);
  }

  private async writeStarts(items: StartWrite[]): Promise<boolean[]> {
    const sessions = items.map(
      ({ session: s, isNew }) =>
        Prisma.sql`(${s.id}::text, ${s.tenantId}::text, ${s.userId}::text, ${s.title}::text, ${s.model}::text, ${s.updatedAt}::timestamp(3), ${isNew}::boolean)`,
    );
    const messages = items.flatMap(({ messages }) =>
      messages.map(
        (m) =>
          Prisma.sql`(${m.id}::text, ${m.sessionId}::text, ${m.tenantId}::text, ${m.userId}::text, ${m.role}::"ChatRole", ${m.content}::text, ${m.status}::"ChatMessageStatus", ${m.model}::text, ${m.createdAt}::timestamp(3))`,
      ),
    );
    // Messages are written only for sessions that were created or touched here: a deleted session gets none.
    const rows = await this.prisma.$queryRaw<{ sessionId: string }[]>`
      WITH v(id, tenant, uid, title, model, at, fresh) AS (VALUES ${Prisma.join(sessions)}),
      created AS (
        INSERT INTO "ChatSession" (id, "tenantId", "userId", title, model, "createdAt", "updatedAt")
        SELECT id, tenant, uid, title, model, at, at FROM v WHERE fresh
        RETURNING id),
      touched AS (
        UPDATE "ChatSession" c SET "updatedAt" = v.at FROM v
        WHERE NOT v.fresh AND c.id = v.id AND c."userId" = v.uid
        RETURNING c.id),
      m(id, sid, tenant, uid, role, content, status, model, at) AS (VALUES ${Prisma.join(messages)})
      INSERT INTO "ChatMessage" (id, "tenantId", "userId", "sessionId", role, content, status, model, "createdAt", "updatedAt")
      SELECT m.id, m.tenant, m.uid, m.sid, m.role, m.content, m.status, m.model, m.at, m.at
      FROM m WHERE m.sid IN (SELECT id FROM created UNION ALL SELECT id FROM touched)
      RETURNING "sessionId"`;
    const written = new Set(rows.map((r) => r.sessionId));
    return items.map((i) => written.has(i.session.id));
  }

  private async writeEnds(items: EndWrite[]): Promise<boolean[]> {
    const answers = items.map(
      ({ message: m }) =>
        Prisma.sql`(${m.id}::text, ${m.content}::text, ${m.status}::"ChatMessageStatus", ${m.inputTokens}::int, ${m.outputTokens}::int, ${m.errorCode}::text, ${m.updatedAt}::timestamp(3))`,
    );
    // The usage rows are inserted whatever happened to the answers: the provider charged for them.
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      WITH v(id, content, status, input, output, code, at) AS (VALUES ${Prisma.join(answers)}),
      ledger AS (${Budgets.insert(items.map((i) => i.usage))})
      UPDATE "ChatMessage" c SET content = v.content, status = v.status, "inputTokens" = v.input,
        "outputTokens" = v.output, "errorCode" = v.code, "updatedAt" = v.at
      FROM v WHERE c.id = v.id
      RETURNING c.id`;
    const saved = new Set(rows.map((r) => r.id));
    return items.map((i) => saved.has(i.message.id));
  }
}
