// bcrypt work is queued (BCRYPT_CONCURRENCY at once, first come first served) on low-priority threads so a burst of
// sign-ins leaves the event loop first call on the CPU; queued work must still finish, in order, with the same results.
// Each app has its own pool (services.passwords), closed with the app.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { PasswordHasher, defaultBcryptConcurrency } from '../src/accounts/password-hasher.ts';
import { parseConfig } from '../src/config.ts';

describe('bcrypt queue', () => {
  const open: PasswordHasher[] = [];
  const hasher = (concurrency?: number) => {
    const h = new PasswordHasher({ cost: 4, concurrency });
    open.push(h);
    return h;
  };
  afterEach(() => Promise.all(open.splice(0).map((h) => h.close())));

  it('runs queued hashes in arrival order and their results stay correct', async () => {
    const h = hasher(1);
    const order: number[] = [];
    const hashes = await Promise.all([0, 1, 2, 3].map((i) => h.hash(`password-${i}`).then((hash) => (order.push(i), hash))));
    expect(order).toEqual([0, 1, 2, 3]);
    const checks = await Promise.all(hashes.map((hash, i) => h.verify(`password-${i}`, hash)));
    expect(checks).toEqual([true, true, true, true]);
    expect(await h.verify('wrong password', hashes[0])).toBe(false);
  });

  it('a failing compare frees its slot', async () => {
    const h = hasher(1);
    await expect(h.verify('x', undefined as unknown as string)).rejects.toThrow();
    expect(await h.verify('password-0', await h.hash('password-0'))).toBe(true);
  });

  it('close() ends its workers: work still waiting fails, and so does later work', async () => {
    const h = hasher(1);
    const running = h.hash('password-0').catch(() => {}); // ends with its worker, or finishes just before
    const waiting = expect(h.hash('password-1')).rejects.toThrow(/closed/);
    await h.close();
    await Promise.all([running, waiting]);
    await expect(h.hash('password-2')).rejects.toThrow(/closed/);
  });

  it.skipIf(!existsSync('/proc/thread-self'))('hashes on worker threads at the lowest priority, not on the event loop thread', async () => {
    await hasher().hash('password-x');
    /** nice value of each thread of this process (field 19 of /proc/<pid>/task/<tid>/stat). */
    const nice = readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return { tid: Number(tid), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
    });
    expect(nice.find((t) => t.tid === process.pid)?.nice).toBe(0);
    expect(nice.some((t) => t.nice === 19)).toBe(true);
  });

  it('defaults to every core on Linux (workers at nice 19), cores - 1 elsewhere; BCRYPT_CONCURRENCY overrides and is validated', () => {
    const cores = availableParallelism();
    expect(defaultBcryptConcurrency()).toBe(process.platform === 'linux' ? cores : Math.max(1, cores - 1));
    expect(parseConfig({}).BCRYPT_CONCURRENCY).toBeUndefined();
    expect(parseConfig({ BCRYPT_CONCURRENCY: '3' }).BCRYPT_CONCURRENCY).toBe(3);
    expect(() => parseConfig({ BCRYPT_CONCURRENCY: '0' })).toThrow(/BCRYPT_CONCURRENCY/);
  });
});
