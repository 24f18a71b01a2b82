// bcrypt work is queued (BCRYPT_CONCURRENCY at once, first come first served) on low-priority threads so a burst of
// sign-ins leaves the event loop first call on the CPU; queued work must still finish, in order, with the same results.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { defaultBcryptConcurrency, hashPassword, setBcryptConcurrency, verifyPassword } from '../src/accounts/credentials.ts';
import { parseConfig } from '../src/config.ts';

describe('bcrypt queue', () => {
  afterEach(() => setBcryptConcurrency(undefined));

  it('runs queued hashes in arrival order and their results stay correct', async () => {
    setBcryptConcurrency(1);
    const order: number[] = [];
    const hashes = await Promise.all([0, 1, 2, 3].map((i) => hashPassword(`password-${i}`, 4).then((h) => (order.push(i), h))));
    expect(order).toEqual([0, 1, 2, 3]);
    const checks = await Promise.all(hashes.map((h, i) => verifyPassword(`password-${i}`, h)));
    expect(checks).toEqual([true, true, true, true]);
    expect(await verifyPassword('wrong password', hashes[0])).toBe(false);
  });

  it('a failing compare frees its slot', async () => {
    setBcryptConcurrency(1);
    await expect(verifyPassword('x', undefined as unknown as string)).rejects.toThrow();
    expect(await verifyPassword('password-0', await hashPassword('password-0', 4))).toBe(true);
  });

  it.skipIf(!existsSync('/proc/thread-self'))('hashes on worker threads at the lowest priority, not on the event loop thread', async () => {
    await hashPassword('password-x', 4);
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
