// One typed map of every event topic. In memory by default; through Redis when REDIS_URL is set, so every
// instance's subscribers see every instance's events. Publish only after the database write has committed.
import { createPubSub, type PubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { Redis } from 'ioredis';
import type { ConversationEventPayload } from '../messaging/events.ts';

export interface SessionsRevokedEvent {
  tenantId: string;
  userId: string;
  /** Session ids that no longer authenticate. */
  sessionIds: string[];
  reason: string;
}

export type Topics = {
  /** Sessions that were signed out, revoked, expired or whose password changed: close their sockets everywhere. */
  'sessions:revoked': [SessionsRevokedEvent];
  /** A committed conversation event, by conversation id (a trigger: subscribers read gaps from the event log). */
  'conversation:event': [conversationId: string, event: ConversationEventPayload];
  /** The same events, by the id of each user they concern (members, and a removed member): the inbox stream. */
  'user:event': [userId: string, event: ConversationEventPayload];
};

export type ParleyPubSub = PubSub<Topics>;

export function createMemoryPubSub(): ParleyPubSub {
  return createPubSub<Topics>();
}

/**
 * Events through Redis pub/sub. Channels are `<prefix><topic>[:<id>]`, so deployments (or test runs) sharing one
 * Redis do not hear each other.
 */
export function createRedisPubSub(publishClient: Redis, subscribeClient: Redis, prefix: string): ParleyPubSub {
  const inner = createPubSub<Record<string, [unknown] | [string, unknown]>>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient: quietUnsubscribe(subscribeClient) }),
  });
  return {
    publish: (topic: string, ...args: unknown[]) => (inner.publish as (t: string, ...a: unknown[]) => void)(prefix + topic, ...args),
    subscribe: (topic: string, ...args: unknown[]) =>
      (inner.subscribe as (t: string, ...a: unknown[]) => AsyncIterable<unknown>)(prefix + topic, ...args),
  } as unknown as ParleyPubSub;
}

/**
 * A subscription that ends while the server shuts down (an SSE stream torn down after Redis closed) unsubscribes
 * on a closed connection; the event target does not await that call, so its rejection would go unhandled. There
 * is nothing left to unsubscribe from then, so the error is dropped.
 */
function quietUnsubscribe(client: Redis): Redis {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'unsubscribe') {
        return (...args: Parameters<Redis['unsubscribe']>) => (target.unsubscribe(...args) as Promise<unknown>).catch(() => undefined);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
