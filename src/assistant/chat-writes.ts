// The two writes of every saved chat, each one statement, grouped across chats: the start (the session, new or
// touched, and both messages) and the end (the final answer and its usage record). Chats that start or end while
// such a write is in flight go out together in the next statement (src/db/batch.ts), so 200 chats starting at once
// cost a handful of statements, not 200 transactions.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { Batcher } from '../db/batch.ts';
import { writeChatEnds, writeChatStarts, type ChatEndRow, type ChatStartRow } from '../db/sql/chat.ts';

export type StartWrite = ChatStartRow;
export type EndWrite = ChatEndRow;

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
    const written = await writeChatStarts(this.prisma, items);
    return items.map((i) => written.has(i.session.id));
  }

  private async writeEnds(items: EndWrite[]): Promise<boolean[]> {
    const saved = await writeChatEnds(this.prisma, items);
    return items.map((i) => saved.has(i.message.id));
  }
}
