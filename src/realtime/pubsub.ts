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

export type ParleyPubSub = PubSub<Topics> & {
  /**
   * Resolves once this instance is really listening on a topic it subscribed to (Redis acknowledged SUBSCRIBE), so
   * a subscriber that then reads the database misses nothing published in between. Absent: listening at once.
   */
  ready?(topic: keyof Topics, id?: string): Promise<void>;
};

export function createMemoryPubSub(): ParleyPubSub {
  return createPubSub<Topics>();
}

/**
 * Events through Redis pub/sub. Channels are `<prefix><topic>[:<id>]`, so deployments (or test runs) sharing one
 * Redis do not hear each other.
 */
export function createRedisPubSub(publishClient: Redis, subscribeClient: Redis, prefix: string): ParleyPubSub {
  const subscribing = new Map<string, Promise<unknown>>();
  const inner = createPubSub<Record<string, [unknown] | [string, unknown]>>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient: trackedSubscriber(subscribeClient, subscribing) }),
  });
  return {
    publish: (topic: string, ...args: unknown[]) => (inner.publish as (t: string, ...a: unknown[]) => void)(prefix + topic, ...args),
    subscribe: (topic: string, ...args: unknown[]) =>
      (inner.subscribe as (t: string, ...a: unknown[]) => AsyncIterable<unknown>)(prefix + topic, ...args),
    ready: async (topic: string, id?: string) => {
      await subscribing.get(prefix + (id === undefined ? topic : `${topic}:${id}`));
    },
  } as unknown as ParleyPubSub;
}

/**
 * The subscriber connection as the event target sees it, with two additions: each SUBSCRIBE's acknowledgement is
 * kept per channel (for ready()), and an UNSUBSCRIBE on a connection already closed at shutdown (an SSE stream torn
 * down after Redis closed) is dropped: the event target does not await it, so it would be an unhandled rejection,
 * and there is nothing left to unsubscribe from.
 */
function trackedSubscriber(client: Redis, subscribing: Map<string, Promise<unknown>>): Redis {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'subscribe') {
        return (...channels: string[]) => {
          const acknowledged = (target.subscribe(...channels) as Promise<unknown>).catch(() => undefined);
          for (const channel of channels) subscribing.set(channel, acknowledged);
          return acknowledged;
        };
      }
      if (prop === 'unsubscribe') {
        return (...channels: string[]) => {
          for (const channel of channels) subscribing.delete(channel);
          return (target.unsubscribe(...channels) as Promise<unknown>).catch(() => undefined);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
