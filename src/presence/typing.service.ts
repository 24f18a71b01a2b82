// Typing indicators: members only, throttled (a client may call setTyping on every keystroke: a refresh within
// TYPING_THROTTLE_MS is not re-sent, and at most TYPING_RATE_LIMIT starts are shown per user and conversation, so
// starting and stopping in turn cannot flood the members), expiring after TYPING_TTL_MS without a refresh with an
// isTyping:false event, and ended when the user sends a message (messaging calls endTyping). Subscribers follow
// one bus listener per conversation, and one that does not read holds only each member's latest state.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { ParleyPubSub, TypingChangedEvent } from '../realtime/pubsub.ts';
import { TopicFanout } from '../realtime/fanout.ts';
import { Delivery } from '../realtime/delivery.ts';
import type { Viewer } from '../accounts/accounts.types.ts';
import { AppError } from '../errors.ts';
import type { TypingRules, TypingStore } from './typing-store.ts';

/** Most members whose latest typing state waits for one subscriber that is not reading (past it: SLOW_CONSUMER). */
export const MAX_PENDING_TYPISTS = 1000;

export class TypingService {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly fanout: TopicFanout<'typing:changed'>;
  private readonly rules: TypingRules;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      pubsub: ParleyPubSub;
      logger: Logger;
      store: TypingStore;
      ttlMs: number;
      throttleMs: number;
      /** isTyping:true events per user and conversation per window (TYPING_RATE_LIMIT); null: no limit. */
      startLimit: { max: number; windowSeconds: number } | null;
    },
  ) {
    const { ttlMs, throttleMs, startLimit } = deps;
    this.rules = { ttlMs, throttleMs, starts: startLimit && { max: startLimit.max, windowMs: startLimit.windowSeconds * 1000 } };
    this.fanout = new TopicFanout(deps.pubsub, 'typing:changed', (err) => deps.logger.error('typing listener failed', { error: err }));
  }

  /** Typing of the other members of a conversation the viewer is a member of (checked by the caller), live. */
  changes(viewer: Viewer, conversationId: string): Delivery<TypingChangedEvent> {
    const { id: self, tenantId } = viewer.user;
    return new Delivery<TypingChangedEvent>(
      (push) =>
        this.fanout.follow(conversationId, (event) => {
          if (event.userId !== self && event.tenantId === tenantId) push(event);
        }),
      {
        maxQueued: MAX_PENDING_TYPISTS,
        keyOf: (event) => event.userId,
        // A member who left hears nothing more, and nobody sees the typing of someone who blocks them or whom they block.
        accept: (event) => this.isMember(viewer, conversationId, event.userId),
      },
    );
  }

  /** FORBIDDEN unless the viewer is a member of the conversation (in their tenant). */
  async requireMember(viewer: Viewer, conversationId: string): Promise<void> {
    if (!(await this.isMember(viewer, conversationId))) {
      throw new AppError('FORBIDDEN', 'You are not a member of this conversation.');
    }
  }

  /** Whether the viewer is a member of the conversation, and, given a typist, neither of the two blocks the other. */
  async isMember(viewer: Viewer, conversationId: string, typistId?: string): Promise<boolean> {
    const unblocked = typistId
      ? { user: { blocking: { none: { blockedId: typistId } }, blockedBy: { none: { blockerId: typistId } } } }
      : {};
    const row = await this.deps.prisma.conversationMember.findFirst({
      where: { conversationId, userId: viewer.user.id, conversation: { tenantId: viewer.user.tenantId }, ...unblocked },
      select: { userId: true },
    });
    return row !== null;
  }

  async setTyping(viewer: Viewer, conversationId: string, isTyping: boolean): Promise<void> {
    await this.requireMember(viewer, conversationId);
    const { tenantId, id: userId } = viewer.user;
    if (!isTyping) return this.endTyping(tenantId, conversationId, userId);
    const key = stateKey(conversationId, userId);
    const token = randomUUID();
    const publish = await this.deps.store.start(key, token, Date.now(), this.rules);
    this.arm(key, token, tenantId, conversationId, userId);
    if (publish) this.deps.pubsub.publish('typing:changed', conversationId, { tenantId, conversationId, userId, isTyping: true });
  }

  /** Ends a user's typing state in a conversation (no-op when there is none). Messaging calls this when a message is sent. */
  async endTyping(tenantId: string, conversationId: string, userId: string): Promise<void> {
    const key = stateKey(conversationId, userId);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (await this.deps.store.end(key)) {
      this.deps.pubsub.publish('typing:changed', conversationId, { tenantId, conversationId, userId, isTyping: false });
    }
  }

  stop() {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(key: string, token: string, tenantId: string, conversationId: string, userId: string) {
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.deps.store
        .expire(key, token)
        .then((ended) => {
          if (ended) this.deps.pubsub.publish('typing:changed', conversationId, { tenantId, conversationId, userId, isTyping: false });
        })
        .catch((err) => this.deps.logger.error('typing expiry failed', { error: err }));
    }, this.deps.ttlMs);
    timer.unref();
    this.timers.set(key, timer);
  }
}

const stateKey = (conversationId: string, userId: string) => `typing-state:${conversationId}:${userId}`;
