// Presence rules: who is online (any authenticated WebSocket connection, on any instance), the status a user chose,
// the grace period before OFFLINE is announced, and who may see whose presence (the user themself and people in the
// same tenant who share a conversation with them). Subscribers follow one bus listener per tenant, and one that does
// not read holds only each user's latest presence; setStatus is rate limited per user (PRESENCE_STATUS_RATE_LIMIT).
import type { PrismaClient, PresenceStatus, User } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { ParleyPubSub, PresenceChangedEvent } from '../realtime/pubsub.ts';
import { TopicFanout } from '../realtime/fanout.ts';
import { Delivery } from '../realtime/delivery.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { Viewer } from '../accounts/accounts.types.ts';
import type { Privacy } from '../accounts/privacy.ts';
import { AppError, badInput, isUnavailable } from '../errors.ts';
import { cleanText, type TextFilter } from '../text-rules.ts';
import type { ConnectionRef, PresenceStore } from './store.ts';

export const MAX_PRESENCE_IDS = 100;
export const MAX_STATUS_TEXT = 100;
/** Most users whose latest presence waits for one subscriber that is not reading (past it: SLOW_CONSUMER). */
export const MAX_PENDING_PRESENCE = 1000;

/** What a Presence object resolves from. */
export interface PresenceInfo {
  userId: string;
  status: PresenceStatus;
  statusText: string | null;
  lastSeenAt: Date | string | null;
}

export class PresenceService {
  private readonly connections = new Map<string, { ref: ConnectionRef; ready: Promise<unknown> }>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly fanout: TopicFanout<'presence:changed'>;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      pubsub: ParleyPubSub;
      logger: Logger;
      store: PresenceStore;
      graceMs: number;
      /** Who may see whose presence: accepted contacts (accounts/privacy.ts). */
      contacts: Pick<Privacy, 'contactsAmong'>;
      /** Counts setStatus calls per user (limit `setStatus`: RATE_LIMITED past it). */
      limiter: RateLimiter;
      /** Told after every write to a User row (status, last seen), so cached viewers are dropped everywhere. */
      userChanged?: (user: { id: string; tenantId: string }) => void;
      /** The tenants' content filters, applied to status text (moderation's ContentFilters). */
      textFilter?: TextFilter;
    },
  ) {
    this.fanout = new TopicFanout(deps.pubsub, 'presence:changed', (err) => deps.logger.error('presence listener failed', { error: err }));
  }

  /** Live presence changes the viewer may see (only those of `only`, when given). */
  changes(viewer: Viewer, only: Set<string> | null): Delivery<PresenceChangedEvent> {
    return new Delivery<PresenceChangedEvent>(
      (push) =>
        this.fanout.follow(viewer.user.tenantId, (event) => {
          if (!only || only.has(event.userId)) push(event);
        }),
      {
        maxQueued: MAX_PENDING_PRESENCE,
        keyOf: (event) => event.userId,
        // Memberships change while a subscription lives: visibility is checked as each event is handed out.
        accept: (event) => this.canSee(viewer, event.userId),
      },
    );
  }

  start() {
    return this.deps.store.start({
      online: (tenantId, userId) => this.track(this.announce(tenantId, userId)),
      offline: (tenantId, userId) => this.track(this.lastSeen(tenantId, userId).then(() => this.announce(tenantId, userId))),
    });
  }

  /** Lets pending work finish; users still in their grace period are handed to the store (see its stop()). */
  async stop() {
    this.stopped = true;
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
    await this.settled();
    await this.deps.store.stop();
    await this.settled(); // announcements the store made while handing over
  }

  private async settled() {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** An authenticated WebSocket opened (called by the WS server). */
  connected(ref: ConnectionRef) {
    if (this.stopped) return;
    const ready = this.track(this.deps.store.connect(ref).then((first) => (first ? this.announce(ref.tenantId, ref.userId) : undefined)));
    this.connections.set(ref.connId, { ref, ready });
  }

  /** An authenticated WebSocket closed. The last one starts the grace period; OFFLINE follows if nobody returns. */
  disconnected(connId: string) {
    const entry = this.connections.get(connId);
    if (!entry || this.stopped) return;
    this.connections.delete(connId);
    const { ref } = entry;
    this.track(
      entry.ready
        .then(() => this.deps.store.disconnect(ref))
        .then(async (remaining) => {
          if (remaining > 0) return;
          await this.lastSeen(ref.tenantId, ref.userId);
          this.scheduleSettle(ref.tenantId, ref.userId);
        }),
    );
  }

  /** Sets the status the user chose (ONLINE = automatic) and announces it. */
  async setStatus(viewer: Viewer, status: PresenceStatus, text: string | null | undefined): Promise<PresenceInfo> {
    if (status === 'OFFLINE') throw badInput('OFFLINE is not a status you can choose; it follows your connections.', 'status');
    const cleaned = text == null ? null : cleanText(text, { field: 'text', label: 'Status text', max: MAX_STATUS_TEXT });
    await this.deps.limiter.check('setStatus', viewer.user.id);
    const statusText =
      cleaned && this.deps.textFilter
        ? await this.deps.textFilter.apply({ tenantId: viewer.user.tenantId, userId: viewer.user.id }, cleaned, 'text')
        : cleaned;
    const user = await this.deps.prisma.user.update({ where: { id: viewer.user.id }, data: { status, statusText } });
    this.deps.userChanged?.(user);
    const info = await this.infoFor(user);
    this.publish(user.tenantId, info);
    return info;
  }

  /** Presence of these users; FORBIDDEN when any of them is not visible to the viewer. */
  async list(viewer: Viewer, userIds: string[]): Promise<PresenceInfo[]> {
    const ids = await this.requireVisible(viewer, userIds);
    const users = await this.deps.prisma.user.findMany({ where: { id: { in: ids }, tenantId: viewer.user.tenantId } });
    const online = await this.deps.store.online(ids);
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => toInfo(byId.get(id)!, online.has(id)));
  }

  /** Presence of one user as the viewer may see it: strangers look OFFLINE with nothing else shown. */
  async forUser(viewer: Viewer | null, user: User): Promise<PresenceInfo> {
    if (!viewer || !(await this.canSee(viewer, user.id))) {
      return { userId: user.id, status: 'OFFLINE', statusText: null, lastSeenAt: null };
    }
    return this.infoFor(user);
  }

  /** Checks ids for presence(userIds) and presenceChanged(userIds): deduplicated, bounded, all visible. */
  async requireVisible(viewer: Viewer, userIds: string[]): Promise<string[]> {
    const ids = [...new Set(userIds)];
    if (ids.length > MAX_PRESENCE_IDS) throw badInput(`At most ${MAX_PRESENCE_IDS} user ids.`, 'userIds');
    const visible = await this.visibleAmong(viewer, ids);
    const hidden = ids.filter((id) => !visible.has(id));
    if (hidden.length) {
      throw new AppError('FORBIDDEN', 'You can see the presence only of your accepted contacts.', { userIds: hidden });
    }
    return ids;
  }

  /** Whether the viewer may see this user's presence (themself, or an accepted contact: accounts/privacy.ts). */
  async canSee(viewer: Viewer, userId: string): Promise<boolean> {
    return (await this.visibleAmong(viewer, [userId])).has(userId);
  }

  private async visibleAmong(viewer: Viewer, ids: string[]): Promise<Set<string>> {
    const self = viewer.user.id;
    const others = ids.filter((id) => id !== self);
    const visible = await this.deps.contacts.contactsAmong(viewer.user, others);
    if (ids.includes(self)) visible.add(self);
    return visible;
  }

  private async infoFor(user: User): Promise<PresenceInfo> {
    const online = await this.deps.store.online([user.id]);
    return toInfo(user, online.has(user.id));
  }

  private scheduleSettle(tenantId: string, userId: string) {
    if (this.stopped) return;
    clearTimeout(this.graceTimers.get(userId));
    const timer = setTimeout(() => {
      this.graceTimers.delete(userId);
      this.track(this.deps.store.settle(tenantId, userId).then((offline) => (offline ? this.announce(tenantId, userId) : undefined)));
    }, this.deps.graceMs);
    timer.unref();
    this.graceTimers.set(userId, timer);
  }

  private async announce(tenantId: string, userId: string) {
    const user = await this.deps.prisma.user.findUnique({ where: { id: userId } });
    if (!user) return;
    this.publish(tenantId, await this.infoFor(user));
  }

  private publish(tenantId: string, info: PresenceInfo) {
    const lastSeenAt = info.lastSeenAt instanceof Date ? info.lastSeenAt.toISOString() : info.lastSeenAt;
    const event: PresenceChangedEvent = { tenantId, ...info, lastSeenAt };
    this.deps.pubsub.publish('presence:changed', tenantId, event);
  }

  /** Best effort: with the database away, the user must still go OFFLINE (the store's state is what counts). */
  private async lastSeen(tenantId: string, userId: string) {
    await this.persistLastSeen(tenantId, userId).catch((err: Error) =>
      this.deps.logger.warn('presence: could not record last seen', { user: userId, error: err.message }),
    );
  }

  private async persistLastSeen(tenantId: string, userId: string) {
    await this.deps.prisma.user.updateMany({ where: { id: userId }, data: { lastSeenAt: new Date() } });
    this.deps.userChanged?.({ id: userId, tenantId });
  }

  private track<T>(work: Promise<T>): Promise<T | undefined> {
    const p = work.catch((err) => {
      // Redis or the database away: expected during an outage, and the store resyncs when it is back.
      if (isUnavailable(err)) this.deps.logger.warn('presence update failed', { error: (err as Error).message });
      else this.deps.logger.error('presence update failed', { error: err });
      return undefined;
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }
}

function toInfo(user: Pick<User, 'id' | 'status' | 'statusText' | 'lastSeenAt'>, online: boolean): PresenceInfo {
  return {
    userId: user.id,
    status: online ? (user.status === 'OFFLINE' ? 'ONLINE' : user.status) : 'OFFLINE',
    statusText: user.statusText,
    lastSeenAt: user.lastSeenAt,
  };
}
