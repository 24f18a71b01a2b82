// conversationEvents with conversationId: one conversation's events, replayed after `afterSequence`, then live, until
// the viewer's own MEMBER_LEFT (the queue, the replay and the sequence gate are the LogStream's: stream.ts).
import type { ConversationEventPayload } from './events.ts';
import { LogStream, type ConversationStream, type StreamOptions } from './stream.ts';

const MAX_SEQUENCE = 2 ** 31 - 1; // sequences are PostgreSQL integers

export interface ConversationStreamOptions extends StreamOptions {
  /** The conversation (the caller has checked membership). */
  conversationId: string;
  /** Replay stored events after this sequence first. */
  afterSequence: number | null;
  /** The conversation's lastSequence when the caller checked membership (start point without afterSequence). */
  startSequence: number;
}

class ConversationEvents extends LogStream {
  private readonly conversationId: string;
  private readonly afterSequence: number | null;
  /** Events up to this sequence are ones the viewer could see when the stream started. */
  private readonly trustedUpTo: number;

  constructor(o: ConversationStreamOptions) {
    super(o);
    this.conversationId = o.conversationId;
    this.afterSequence = o.afterSequence;
    this.trustedUpTo = o.startSequence;
    this.open((arrive, resync) => o.topics.conversation.follow(o.conversationId, arrive, resync));
  }

  protected async start() {
    this.last.set(this.conversationId, this.afterSequence ?? this.trustedUpTo);
    if (this.afterSequence !== null) await this.catchUp(this.conversationId, MAX_SEQUENCE);
  }

  protected resync() {
    return this.catchUp(this.conversationId, MAX_SEQUENCE);
  }

  protected take(event: ConversationEventPayload): boolean {
    this.last.set(event.conversationId, event.sequence);
    this.emit(event);
    // Past the replay of what the viewer could already see, their own departure ends the stream.
    if (event.sequence > this.trustedUpTo && event.type === 'MEMBER_LEFT' && event.userId === this.viewerId) {
      this.end();
      return false;
    }
    return true;
  }
}

export function conversationStream(o: ConversationStreamOptions): ConversationStream {
  return new ConversationEvents(o);
}
