// Messages written while they stream: an assistant's answer in a conversation. The message is stored at once,
// STREAMING and empty, with its MESSAGE_ADDED; its text then travels as MESSAGE_DELTA events that are published and
// never stored (one piece per token would be an edit storm in the log); at the end the whole text is written once,
// with MESSAGE_COMPLETED. Who reads the message meanwhile gets its text so far from the source that generates it
// (StreamingSource: the assistant's runs, on whichever instance).
import { randomUUID } from 'node:crypto';
import type { Message, MessageStatus, PrismaClient } from '../generated/prisma/client.ts';
import { takeSequences } from '../db/sql/events.ts';
import type { SqlQuery } from '../db/client.ts';
import { appendStreamingMessage, finishStreamingMessage } from '../db/sql/streaming-messages.ts';
import { toPayload, writeEvents, type ConversationEventPayload } from './events.ts';
import type { MessagePublisher } from './message-publisher.ts';

/** A streaming message's text so far, and how many MESSAGE_DELTA pieces it holds. */
export interface TextSoFar {
  text: string;
  pieces: number;
}

/** Where the text of a message still streaming is (the assistant's runs). */
export interface StreamingSource {
  textSoFar(messageId: string): Promise<TextSoFar | null>;
}

export interface StreamingStart {
  tenantId: string;
  conversationId: string;
  /** The writer (the tenant's assistant); it need not be a member. */
  senderId: string;
  /** The message it answers, quoted as a reply. */
  replyToId: string | null;
  /** Answer in this thread (null: the main history). */
  threadRootId: string | null;
}

/** Rolls a finishing transaction back when the message is no longer streaming (its sequence is not spent). */
class NotStreaming extends Error {}

export class StreamingMessages {
  private source: StreamingSource | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    /** Database.query: a start is one statement (appendStreamingMessage). */
    private readonly sql: SqlQuery,
    private readonly publisher: MessagePublisher,
  ) {}

  /** Set once by createServices(): the assistant, built after messaging, holds the text of streaming messages. */
  useSource(source: StreamingSource): void {
    this.source = source;
  }

  /** The text so far of a STREAMING message (null when no instance has it any more: its stored text stands). */
  textSoFar(messageId: string): Promise<TextSoFar | null> {
    return this.source ? this.source.textSoFar(messageId) : Promise.resolve(null);
  }

  /**
   * Stores an empty STREAMING message and its MESSAGE_ADDED, then publishes it. Null, with nothing written, when the
   * conversation is gone, of another tenant, or has the assistant turned off.
   */
  async start(s: StreamingStart): Promise<Message | null> {
    const messageId = randomUUID();
    const message = await appendStreamingMessage(this.sql, { ...s, messageId, eventId: randomUUID(), now: new Date() });
    if (!message) return null;
    const event = toPayload({
      conversationId: s.conversationId,
      sequence: message.sequence,
      type: 'MESSAGE_ADDED',
      messageId,
      userId: s.senderId,
      readUpTo: null,
      createdAt: message.createdAt,
    });
    event.rows = { message };
    await this.publisher.publish([event]);
    return message;
  }

  /** Publishes the `index`th piece of a streaming message's text (to the members who hear of its conversation). */
  delta(message: Message, index: number, text: string): Promise<void> {
    const event: ConversationEventPayload = {
      conversationId: message.conversationId,
      sequence: message.sequence,
      type: 'MESSAGE_DELTA',
      messageId: null,
      userId: null,
      readUpTo: null,
      createdAt: new Date().toISOString(),
      delta: { messageId: message.id, index, text },
    };
    return this.publisher.publishDelta(event);
  }

  /**
   * Writes the final text and status with MESSAGE_COMPLETED, and publishes it. Null when the message is no longer
   * streaming (deleted meanwhile): nothing is written.
   */
  async finish(message: Message, content: string, status: Exclude<MessageStatus, 'STREAMING'>): Promise<Message | null> {
    let written: { message: Message; event: ConversationEventPayload };
    try {
      written = await this.prisma.$transaction(async (tx) => {
        // The conversation first, as every writer locks it: then the message.
        const sequence = await takeSequences(tx, message.conversationId, 1);
        if (!(await finishStreamingMessage(tx, { messageId: message.id, content, status }))) throw new NotStreaming();
        const [event] = await writeEvents(tx, message.conversationId, sequence, [
          { type: 'MESSAGE_COMPLETED', messageId: message.id, userId: message.senderId },
        ]);
        return { message: await tx.message.findUniqueOrThrow({ where: { id: message.id } }), event };
      });
    } catch (err) {
      if (err instanceof NotStreaming) return null;
      throw err;
    }
    written.event.rows = { message: written.message };
    await this.publisher.publish([written.event]);
    return written.message;
  }
}
