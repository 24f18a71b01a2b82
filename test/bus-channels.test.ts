// The event bus's channels (src/realtime/channels.ts): in memory, and through a real Redis when TEST_REDIS_URL is set.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryChannels, RedisChannels, type Channels } from '../src/realtime/channels.ts';

/** Resolves with the next payload a listener of `channel` gets. */
function nextPayload(channels: Channels, channel: string): { ready: Promise<void>; payload: Promise<unknown> } {
  let resolve!: (payload: unknown) => void;
  const payload = new Promise<unknown>((r) => (resolve = r));
  const follow = channels.listen(channel, (p) => {
    follow.close();
    resolve(p);
  });
  return { ready: follow.ready, payload };
}

describe('memory channels', () => {
  it('hand every listener the same object, and keep going when one throws', async () => {
    const errors: Error[] = [];
    const channels = new MemoryChannels((err) => errors.push(err));
    const seen: unknown[] = [];
    const a = channels.listen('c', () => {
      throw new Error('listener failed');
    });
    const b = channels.listen('c', (p) => seen.push(p));
    const event = { n: 1 };
    channels.publish('c', event);
    channels.publish('other', { n: 2 });
    expect(seen).toEqual([event]);
    expect(seen[0]).toBe(event);
    expect(errors.map((e) => e.message)).toEqual(['listener failed']);
    a.close();
    b.close();
    channels.publish('c', event);
    expect(seen).toHaveLength(1);
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('redis channels', () => {
  const url = process.env.TEST_REDIS_URL!;
  const publisher = new Redis(url);
  const subscriber = new Redis(url);
  const admin = new Redis(url);
  const errors: string[] = [];
  const channels = new RedisChannels(publisher, subscriber, (err, command) => errors.push(`${command}: ${err.message}`));
  // As realtime/redis.ts does: the connections are used once ready. A SUBSCRIBE queued before the ready check would
  // put the connection in subscriber mode before its INFO, which ioredis then refuses.
  beforeAll(async () => {
    await Promise.all([publisher, subscriber, admin].map((r) => (r.status === 'ready' ? null : once(r, 'ready'))));
  });
  afterAll(async () => {
    await Promise.all([publisher.quit(), subscriber.quit(), admin.quit()]);
  });
  const subscribers = async (channel: string) => Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

  it('deliver a payload published after ready, parsed once for all listeners of the instance', async () => {
    const channel = `test:${randomUUID()}`;
    const first = nextPayload(channels, channel);
    const second = nextPayload(channels, channel);
    await Promise.all([first.ready, second.ready]);
    expect(await subscribers(channel)).toBe(1); // one SUBSCRIBE however many listeners
    channels.publish(channel, { text: 'hello', at: 1 });
    const [a, b] = await Promise.all([first.payload, second.payload]);
    expect(a).toEqual({ text: 'hello', at: 1 });
    expect(b).toBe(a);
  });

  it('UNSUBSCRIBE once the last listener leaves, and report a payload that is not JSON instead of throwing', async () => {
    const channel = `test:${randomUUID()}`;
    const one = channels.listen(channel, () => {});
    const two = channels.listen(channel, () => {});
    await Promise.all([one.ready, two.ready]);
    one.close();
    expect(await subscribers(channel)).toBe(1);
    const after = nextPayload(channels, `${channel}:x`);
    await after.ready;
    await admin.publish(`${channel}:x`, '{not json');
    channels.publish(`${channel}:x`, 'fine');
    expect(await after.payload).toBe('fine');
    expect(errors.some((e) => e.startsWith('parse: '))).toBe(true);
    two.close();
    await subscriber.ping(); // replies come in order: the UNSUBSCRIBE has been answered
    expect(await subscribers(channel)).toBe(0);
  });
});
