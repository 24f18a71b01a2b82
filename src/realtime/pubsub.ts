// One typed map of every event topic. In memory by default; through Redis when REDIS_URL is set, so every
// instance's subscribers see every instance's events. Publish only after the database write has committed.
import { createPubSub, type PubSub } from 'graphql-yoga';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { Redis } from 'ioredis';
import type { BusEvent, StopRequest } from '../assistant/events.ts';

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
  /** One AI chat run's tokens and terminal event, by assistant message id (only used when REDIS_URL is set). */
  'chat:events': [messageId: string, event: BusEvent];
  /** Stop the run of this assistant message, on whichever instance runs it. */
  'chat:stop': [StopRequest];
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
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
  return {
    publish: (topic: string, ...args: unknown[]) => (inner.publish as (t: string, ...a: unknown[]) => void)(prefix + topic, ...args),
    subscribe: (topic: string, ...args: unknown[]) =>
      (inner.subscribe as (t: string, ...a: unknown[]) => AsyncIterable<unknown>)(prefix + topic, ...args),
  } as unknown as ParleyPubSub;
}
