// The bus topics conversationEvents streams follow: one subscription per conversation (and per viewer's inbox) per
// process, shared by every stream (realtime/fanout.ts), with one object per event across topics.
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { TopicFanout } from '../realtime/fanout.ts';
import type { ConversationEventPayload } from './events.ts';

/** Events remembered by internEvent (a few seconds' worth on a busy server; copies arrive within milliseconds). */
const INTERNED = 1000;

/**
 * One object per event: copies of an event that reach this process on several topics (the conversation's, and on
 * Redis every member's inbox topic, each a message of its own) become the first one seen, so every stream of the
 * event shares its loaded rows (event-rows.ts) and its execution (shared-events.ts) instead of each copy paying
 * for its own. The conversation topic is published first, so the copy kept is the one that carries rows.
 */
export function eventInterner(max = INTERNED) {
  const recent = new Map<string, ConversationEventPayload>();
  return (event: ConversationEventPayload): ConversationEventPayload => {
    const key = `${event.conversationId}:${event.sequence}`;
    const seen = recent.get(key);
    if (seen && seen.type === event.type) return seen;
    recent.set(key, event);
    if (recent.size > max) recent.delete(recent.keys().next().value!);
    return event;
  };
}

const fanouts = new WeakMap<ParleyPubSub, { conversation: TopicFanout<'conversation:event'>; inbox: TopicFanout<'user:event'> }>();
export function fanoutsOf(pubsub: ParleyPubSub, onError: (err: unknown) => void, prepare: (event: ConversationEventPayload) => Promise<void>) {
  let f = fanouts.get(pubsub);
  if (!f) {
    const intern = eventInterner();
    // Sequences are per conversation: an inbox keeps one order per conversation it hears of.
    const order = { key: (event: ConversationEventPayload) => event.conversationId, sequence: (event: ConversationEventPayload) => event.sequence };
    f = {
      conversation: new TopicFanout(pubsub, 'conversation:event', onError, { prepare, intern, order }),
      inbox: new TopicFanout(pubsub, 'user:event', onError, { intern, order }),
    };
    fanouts.set(pubsub, f);
  }
  return f;
}

/** Conversation and inbox topics this instance follows on the bus (one subscription each, however many streams). */
export function followedTopics(pubsub: ParleyPubSub): number {
  const f = fanouts.get(pubsub);
  return f ? f.conversation.size() + f.inbox.size() : 0;
}
