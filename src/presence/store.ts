// Where presence lives: which users have open, authenticated WebSocket connections. In memory for one instance;
// in Redis (redis-store.ts) when several instances share the load. A user is online while at least one connection
// is open on a live instance; "online" is also what was last announced, so ONLINE/OFFLINE are announced exactly once
// per transition even when several instances race.

export interface ConnectionRef {
  connId: string;
  tenantId: string;
  userId: string;
}

/** Callbacks a store uses for transitions it discovers by itself (dead instances, a re-registered instance). */
export interface PresenceTransitions {
  online(tenantId: string, userId: string): void;
  offline(tenantId: string, userId: string): void;
}

export interface PresenceStore {
  start(transitions: PresenceTransitions): Promise<void>;
  stop(): Promise<void>;
  /** Records an open connection; true when the user was not online before (announce ONLINE). */
  connect(c: ConnectionRef): Promise<boolean>;
  /** Forgets a connection; returns how many connections the user still has. */
  disconnect(c: ConnectionRef): Promise<number>;
  /** Called after the grace period: true when the user has no connection left and is now offline (announce OFFLINE). */
  settle(tenantId: string, userId: string): Promise<boolean>;
  /** Which of these users are online. */
  online(userIds: string[]): Promise<Set<string>>;
}

export class MemoryPresenceStore implements PresenceStore {
  private byUser = new Map<string, Set<string>>();
  private announced = new Set<string>();

  async start() {}
  async stop() {}

  async connect(c: ConnectionRef) {
    const set = this.byUser.get(c.userId) ?? new Set();
    set.add(c.connId);
    this.byUser.set(c.userId, set);
    if (this.announced.has(c.userId)) return false;
    this.announced.add(c.userId);
    return true;
  }

  async disconnect(c: ConnectionRef) {
    const set = this.byUser.get(c.userId);
    set?.delete(c.connId);
    if (set?.size === 0) this.byUser.delete(c.userId);
    return set?.size ?? 0;
  }

  async settle(_tenantId: string, userId: string) {
    if (this.byUser.has(userId)) return false;
    return this.announced.delete(userId);
  }

  async online(userIds: string[]) {
    return new Set(userIds.filter((id) => this.announced.has(id)));
  }
}
