// One typed map of every event topic. In memory by default; through Redis when REDIS_URL is set, so every
// instance's subscribers see every instance's events. Publish only after the database write has committed.
import type { PubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { boundedPubSub } from './bounded-pubsub.ts';
import { MemoryChannels, RedisChannels } from './channels.ts';
import type { ConversationEventPayload } from '../messaging/events.ts';
import type { BusEvent, StopRequest } from '../assistant/events.ts';

export interface SessionsRevokedEvent {
  tenantId: string;
  userId: string;
  /** Session ids that no longer authenticate. */
  sessionIds: string[];
  reason: string;
}

export interface UserChangedEvent {
  tenantId: string;
  userId: string;
}

export interface TenantChangedEvent {
  tenantId: string;
  disabled: boolean;
}

export interface UserRemovedEvent {
  tenantId: string;
  userId: string;
  /** Why, in words (e.g. "Account deleted"): the close reason its connections get. */
  reason: string;
}

export interface PresenceChangedEvent {
  tenantId: string;
  userId: string;
  status: 'ONLINE' | 'AWAY' | 'BUSY' | 'OFFLINE';
  statusText: string | null;
  /** ISO string (events travel as JSON). */
  lastSeenAt: string | null;
}

export interface TypingChangedEvent {
  tenantId: string;
  conversationId: string;
  userId: string;
  isTyping: boolean;
}

export interface SettingsChangedEvent {
  tenantId: string;
  userId: string;
  conversationId: string;
}

export interface ContentFilterChangedEvent {
  tenantId: string;
}

export type Topics = {
  /** Sessions that were signed out, revoked, expired or whose password changed: close their sockets everywhere. */
  'sessions:revoked': [SessionsRevokedEvent];
  /** A User row changed (profile, password, status, deletion): drop cached copies of it on every instance. */
  'users:changed': [UserChangedEvent];
  /** A tenant was disabled or enabled (server or tenants CLI): drop cached copies; when disabled, close its connections. */
  'tenants:changed': [TenantChangedEvent];
  /** A user can no longer use Parley (account deleted): close every connection of theirs, on every instance. */
  'users:removed': [UserRemovedEvent];
  /** A committed conversation event, by conversation id (a trigger: subscribers read gaps from the event log). */
  'conversation:event': [conversationId: string, event: ConversationEventPayload];
  /** The same events, by the id of each user they concern (members, and a removed member): the inbox stream. */
  'user:event': [userId: string, event: ConversationEventPayload];
  /** A user's presence changed (online/offline, or the status they chose); per tenant. */
  'presence:changed': [tenantId: string, PresenceChangedEvent];
  /** Someone started or stopped typing; per conversation. */
  'typing:changed': [conversationId: string, TypingChangedEvent];
  /** One AI chat run's tokens and terminal event, by assistant message id (only used when REDIS_URL is set). */
  'chat:events': [messageId: string, event: BusEvent];
  /** Stop the run of this assistant message, on whichever instance runs it. */
  'chat:stop': [StopRequest];
  /** A member changed their own settings of a conversation (muted, archived, pinned): their other devices follow. */
  'settings:changed': [SettingsChangedEvent];
  /** A tenant's content filter was saved: every instance drops its compiled copy. */
  'filters:changed': [ContentFilterChangedEvent];
};

type EventOf<K extends keyof Topics> = Topics[K] extends [unknown, infer E] ? E : Topics[K][0];

export type ParleyPubSub = {
  publish: PubSub<Topics>['publish'];
  /**
   * Events of `<topic>[:<id>]` from now until return(). Bounded (see bounded-pubsub.ts): read at once, in process;
   * subscribers' streams go through a fan-out (fanout.ts) and a Delivery of their own.
   */
  subscribe<K extends keyof Topics>(topic: K, ...id: Topics[K] extends [infer Id, unknown] ? [Id] : []): AsyncIterableIterator<EventOf<K>>;
  /**
   * Resolves once this instance is really listening on a topic it subscribed to (Redis acknowledged SUBSCRIBE), so
   * a subscriber that then reads the database misses nothing published in between. Absent: listening at once.
   */
  ready?(topic: keyof Topics, id?: string): Promise<void>;
  /**
   * Calls `listener` each time the bus is back after an outage and listening again (on Redis: reconnected, its
   * channels re-subscribed). Whatever was published meanwhile is lost to live delivery, so streams read it back
   * from their log. Absent: the bus never drops events (in memory). Returns the way to stop listening.
   */
  onReconnect?(listener: () => void): () => void;
};

/** The same bus, counting every publish by topic (the one place all events go through). */
export function countPublishes(pubsub: ParleyPubSub, count: (topic: keyof Topics) => void): ParleyPubSub {
  return {
    publish: ((topic: keyof Topics, ...args: unknown[]) => {
      count(topic);
      (pubsub.publish as (t: keyof Topics, ...a: unknown[]) => void)(topic, ...args);
    }) as ParleyPubSub['publish'],
    subscribe: pubsub.subscribe.bind(pubsub),
    ...(pubsub.ready ? { ready: pubsub.ready.bind(pubsub) } : {}),
    ...(pubsub.onReconnect ? { onReconnect: pubsub.onReconnect.bind(pubsub) } : {}),
  };
}

/** `onError` hears of a subscription that fell too far behind (it loses its oldest events). */
export function createMemoryPubSub(onError: (err: Error) => void = () => {}): ParleyPubSub {
  return boundedPubSub(new MemoryChannels(onError), onError) as unknown as ParleyPubSub;
}

/**
 * Events through Redis pub/sub (channels.ts). Channels are `<prefix><topic>[:<id>]`, so deployments (or test runs)
 * sharing one Redis do not hear each other.
 */
export function createRedisPubSub(
  publishClient: Redis,
  subscribeClient: Redis,
  prefix: string,
  onError: (err: Error, command: string) => void = () => {},
): ParleyPubSub {
  const channels = new RedisChannels(publishClient, subscribeClient, onError);
  const inner = boundedPubSub(channels, (err) => onError(err, 'deliver'));
  return {
    publish: (topic: string, ...args: unknown[]) => inner.publish(prefix + topic, ...args),
    subscribe: (topic: string, id?: string) => inner.subscribe(prefix + topic, id),
    ready: (topic: string, id?: string) => channels.ready(prefix + (id === undefined ? topic : `${topic}:${id}`)),
    onReconnect: (listener: () => void) => channels.onReconnect(listener),
  } as unknown as ParleyPubSub;
}
