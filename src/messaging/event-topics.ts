// The bus topics conversationEvents streams follow: one subscription per conversation (and per viewer's inbox) per
// app instance, shared by every stream (realtime/fanout.ts), with one object per event across topics.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { TopicFanout } from '../realtime/fanout.ts';
import { isDelta, type ConversationEventPayload } from './events.ts';
import { EventRows } from './event-rows.ts';
import { LRUCache } from 'lru-cache';
import type { Follow } from '../realtime/fanout.ts';
import { followInbox, type InboxListener } from './inbox-follow.ts';

/** Events remembered by internEvent (a few seconds' worth on a busy server; copies arrive within milliseconds). */
const INTERNED = 1000;

/**
 * One object per event: copies of an event that reach this process on several topics (the conversation's, and on
 * Redis every member's inbox topic, each a message of its own) become the first one seen, so every stream of the
 * event shares its loaded rows (event-rows.ts) and its execution (shared-events.ts) instead of each copy paying
 * for its own. The conversation topic is published first, so the copy kept is the one that carries rows; a later
 * copy's `viaTopic` mark (a hint to the inbox of the member it was sent to, inbox-follow.ts) is kept on it too.
 */
export function eventInterner(max = INTERNED) {
  const recent = new LRUCache<string, ConversationEventPayload>({ max });
  return (event: ConversationEventPayload): ConversationEventPayload => {
    const key = event.delta
      ? `${event.conversationId}:${event.sequence}:${event.delta.messageId}:${event.delta.index}`
      : `${event.conversationId}:${event.sequence}`;
    const seen = recent.get(key);
    if (seen && seen.type === event.type) {
      if (event.viaTopic) seen.viaTopic = true;
      return seen;
    }
    recent.set(key, event);
    return event;
  };
}

/**
 * The conversation and inbox topics of one app instance (built by createServices(), closed by app.stop()): one
 * fan-out each, sharing one interner, and the rows of their events (event-rows.ts).
 */
export class EventTopics {
  readonly conversation: TopicFanout<'conversation:event'>;
  readonly inbox: TopicFanout<'user:event'>;
  readonly rows = new EventRows();

  constructor(
    pubsub: ParleyPubSub,
    private readonly prisma: PrismaClient,
    onError: (err: unknown) => void,
    /** LARGE_GROUP_MEMBERS: an inbox follows the topics of the viewer's conversations with more members. */
    private readonly largeAbove = 256,
  ) {
    const intern = eventInterner();
    // Sequences are per conversation: an inbox keeps one order per conversation it hears of.
    const order = {
      key: (event: ConversationEventPayload) => event.conversationId,
      sequence: (event: ConversationEventPayload) => event.sequence,
      unordered: isDelta,
    };
    // A busy conversation's next event has its rows loaded before it is handed out (see event-rows.ts).
    const prepare = async (event: ConversationEventPayload) => (isDelta(event) ? undefined : this.rows.prepare(prisma, event));
    this.conversation = new TopicFanout(pubsub, 'conversation:event', onError, { prepare, intern, order });
    this.inbox = new TopicFanout(pubsub, 'user:event', onError, { intern, order });
  }

  /** What a viewer's inbox stream follows: their own topic and their large conversations' (inbox-follow.ts). */
  followInbox(viewerId: string, listener: InboxListener): Follow {
    return followInbox(this, this.prisma, this.largeAbove, viewerId, listener);
  }

  /** Conversation and inbox topics this instance follows on the bus (one subscription each, however many streams). */
  followed(): number {
    return this.conversation.size() + this.inbox.size();
  }

  /** Ends every bus subscription and reorder timer (streams still open see no more live events). */
  close() {
    this.conversation.close();
    this.inbox.close();
  }
}
