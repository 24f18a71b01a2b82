// Where the event bus's payloads travel, by channel name: to listeners in this process (memory), or through Redis
// PUBLISH/SUBSCRIBE to every instance's listeners. A channel is SUBSCRIBEd while it has listeners in this process,
// and each message is parsed once however many listeners it has. The bus (pubsub.ts) names channels and types
// payloads; this file only moves them.
import { setMaxListeners } from 'node:events';
import type { Redis } from 'ioredis';
import type { Follow } from './delivery.ts';

export type Listener = (payload: unknown) => void;

export interface Channels {
  publish(channel: string, payload: unknown): void;
  /** Calls `listener` with each payload published on `channel` once `ready`, until close(). */
  listen(channel: string, listener: Listener): Follow;
}

/** Listeners by channel; a listener that throws does not keep the others from their payload. */
class Registry {
  private readonly byChannel = new Map<string, Set<Listener>>();

  constructor(private readonly onError: (err: Error) => void) {}

  /** Adds a listener; true when it is the channel's first. */
  add(channel: string, listener: Listener): boolean {
    const listeners = this.byChannel.get(channel);
    if (listeners) {
      listeners.add(listener);
      return false;
    }
    this.byChannel.set(channel, new Set([listener]));
    return true;
  }

  /** Removes a listener; true when it was the channel's last. */
  remove(channel: string, listener: Listener): boolean {
    const listeners = this.byChannel.get(channel);
    if (!listeners?.delete(listener) || listeners.size > 0) return false;
    this.byChannel.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  dispatch(channel: string, payload: unknown) {
    const listeners = this.byChannel.get(channel);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(payload);
      } catch (err) {
        this.onError(err as Error);
      }
    }
  }
}

/** Channels within this process: a publish reaches every listener synchronously, as the same object. */
export class MemoryChannels implements Channels {
  private readonly registry: Registry;

  constructor(onError: (err: Error) => void = () => {}) {
    this.registry = new Registry(onError);
  }

  publish(channel: string, payload: unknown) {
    this.registry.dispatch(channel, payload);
  }

  listen(channel: string, listener: Listener): Follow {
    this.registry.add(channel, listener);
    return { ready: Promise.resolve(), close: () => void this.registry.remove(channel, listener) };
  }
}

/**
 * Channels through Redis, on two connections (a connection in subscribe mode can do nothing else). A command that
 * fails while Redis is away is reported to `onError`, never thrown (nobody awaits a publish). A SUBSCRIBE that fails
 * is made again once the connection is back: ioredis re-subscribes by itself only the channels Redis had
 * acknowledged. `ready` of a listen resolves once Redis acknowledged its channel's SUBSCRIBE, so a subscriber that
 * then reads the database misses nothing published in between.
 */
export class RedisChannels implements Channels {
  private readonly registry: Registry;
  /** Per subscribed channel, its SUBSCRIBE's acknowledgement. */
  private readonly subscribing = new Map<string, Promise<void>>();
  private readonly reconnectListeners = new Set<() => void>();
  /** Resolves at the connection's next 'ready' (after a reconnect), or when it ends for good; one wait for all. */
  private nextReady: Promise<void> | null = null;

  constructor(
    private readonly publishClient: Redis,
    private readonly subscribeClient: Redis,
    private readonly onError: (err: Error, command: string) => void = () => {},
  ) {
    this.registry = new Registry((err) => onError(err, 'deliver'));
    setMaxListeners(0, subscribeClient);
    subscribeClient.on('message', (channel: string, message: string) => this.receive(channel, message));
    this.watchReconnects();
  }

  publish(channel: string, payload: unknown) {
    this.publishClient.publish(channel, JSON.stringify(payload)).catch((err: Error) => this.onError(err, 'publish'));
  }

  listen(channel: string, listener: Listener): Follow {
    if (this.registry.add(channel, listener)) this.subscribe(channel);
    return {
      ready: this.ready(channel),
      close: () => {
        if (!this.registry.remove(channel, listener)) return;
        this.subscribing.delete(channel);
        this.subscribeClient.unsubscribe(channel).catch((err: Error) => this.onError(err, 'unsubscribe'));
      },
    };
  }

  /** Resolves once this instance is really listening on `channel` (at once when nothing listens there). */
  async ready(channel: string): Promise<void> {
    await this.subscribing.get(channel);
  }

  /** Calls `listener` each time the connection is back after an outage and every channel is listening again. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  private receive(channel: string, message: string) {
    if (!this.registry.has(channel)) return; // unsubscribed while the message was on its way
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch (err) {
      return this.onError(err as Error, 'parse');
    }
    this.registry.dispatch(channel, payload);
  }

  /** SUBSCRIBEs until Redis acknowledges, the channel is left (and maybe listened to afresh), or Redis is gone. */
  private subscribe(channel: string) {
    let acknowledged: Promise<void> | undefined = undefined;
    acknowledged = (async () => {
      for (;;) {
        try {
          await this.subscribeClient.subscribe(channel);
          return;
        } catch (err) {
          this.onError(err as Error, 'subscribe');
          await this.reconnected();
          if (this.subscribing.get(channel) !== acknowledged || this.subscribeClient.status === 'end') return;
        }
      }
    })();
    this.subscribing.set(channel, acknowledged);
  }

  private reconnected(): Promise<void> {
    return (this.nextReady ??= new Promise<void>((resolve) => {
      const done = () => {
        this.subscribeClient.off('ready', done).off('end', done);
        this.nextReady = null;
        resolve();
      };
      this.subscribeClient.once('ready', done).once('end', done);
    }));
  }

  // After a reconnect ioredis re-sends the SUBSCRIBEs Redis had acknowledged before it says 'ready', so a PING
  // answered after that (replies come in order) means every channel is live again; then wait for the ones that had
  // failed, and tell the listeners.
  private watchReconnects() {
    let wasReady = this.subscribeClient.status === 'ready';
    this.subscribeClient.on('ready', () => {
      if (!wasReady) {
        wasReady = true;
        return;
      }
      void (async () => {
        await this.subscribeClient.ping().catch(() => {});
        await Promise.all([...this.subscribing.values()]);
        for (const listener of this.reconnectListeners) listener();
      })().catch((err: Error) => this.onError(err, 'resync'));
    });
  }
}
