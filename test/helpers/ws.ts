// Waiting for real events from graphql-ws subscriptions, with a timeout instead of sleeps.
import type { Client } from 'graphql-ws';
import { print, type ExecutionResult } from 'graphql';
import type { Doc } from './server.ts';

export interface Subscription<T> {
  /** Resolves with the next event (or rejects after `timeoutMs`). */
  next(timeoutMs?: number): Promise<ExecutionResult<T>>;
  /** Skips events until one satisfies `match` (e.g. to pass over probe events). */
  until(match: (event: ExecutionResult<T>) => boolean, timeoutMs?: number): Promise<ExecutionResult<T>>;
  /**
   * Makes sure the subscription is live on the server: runs `probe` (which must cause an event), waits briefly for
   * any event, and repeats until one arrives. Subscriptions give no "ready" signal, so this is how a test knows.
   */
  live(probe: () => Promise<unknown>, attempts?: number): Promise<void>;
  /** Resolves with the next `n` events. */
  take(n: number, timeoutMs?: number): Promise<ExecutionResult<T>[]>;
  /** Resolves when the server completes the subscription or the socket errors; with the error, if any. */
  ended(timeoutMs?: number): Promise<unknown>;
  /** Events received so far and not yet taken. */
  buffered(): number;
  stop(): void;
}

export function subscribe<T, V extends Record<string, unknown>>(client: Client, doc: Doc<T, V>, variables?: V): Subscription<T> {
  const queue: ExecutionResult<T>[] = [];
  const waiters: ((r: ExecutionResult<T>) => void)[] = [];
  let end: { error?: unknown } | null = null;
  const endWaiters: ((e: unknown) => void)[] = [];
  const stop = client.subscribe<T>(
    { query: typeof doc === 'string' ? doc : print(doc), variables },
    {
      next: (value) => {
        const w = waiters.shift();
        if (w) w(value as ExecutionResult<T>);
        else queue.push(value as ExecutionResult<T>);
      },
      error: (error) => {
        end = { error };
        endWaiters.splice(0).forEach((w) => w(error));
      },
      complete: () => {
        end = {};
        endWaiters.splice(0).forEach((w) => w(undefined));
      },
    },
  );
  const timeout = <R>(p: Promise<R>, ms: number, what: string) =>
    Promise.race([
      p,
      new Promise<R>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref()),
    ]);
  const sub: Subscription<T> = {
    next(timeoutMs = 5_000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      let waiter!: (r: ExecutionResult<T>) => void;
      const arrived = new Promise<ExecutionResult<T>>((resolve) => waiters.push((waiter = resolve)));
      return timeout(arrived, timeoutMs, 'a subscription event').catch((err) => {
        waiters.splice(waiters.indexOf(waiter), 1); // a timed-out wait must not swallow a later event
        throw err;
      });
    },
    async until(match, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const event = await sub.next(Math.max(1, deadline - Date.now()));
        if (match(event)) return event;
      }
    },
    live: (probe, attempts) => allLive([sub], probe, attempts),
    async take(n, timeoutMs = 5_000) {
      const out: ExecutionResult<T>[] = [];
      for (let i = 0; i < n; i++) out.push(await sub.next(timeoutMs));
      return out;
    },
    ended(timeoutMs = 5_000) {
      if (end) return Promise.resolve((end as { error?: unknown }).error);
      return timeout(new Promise((resolve) => endWaiters.push(resolve)), timeoutMs, 'the subscription to end');
    },
    buffered: () => queue.length,
    stop,
  };
  return sub;
}

/**
 * Makes every subscription live (see `Subscription.live`) with one probe per round for all of them: a probe per
 * subscription would send each of them every other one's probes, a flood that slows what the test then measures.
 */
export async function allLive(subs: Subscription<unknown>[], probe: () => Promise<unknown>, attempts = 50): Promise<void> {
  let waiting = subs;
  for (let i = 0; i < attempts && waiting.length; i++) {
    await probe();
    const arrived = await Promise.all(
      waiting.map((sub) =>
        sub.next(200).then(
          () => true,
          () => false,
        ),
      ),
    );
    waiting = waiting.filter((_, j) => !arrived[j]);
  }
  if (waiting.length) throw new Error(`${waiting.length} of ${subs.length} subscriptions never became live`);
}

/** Resolves with the close event of the client's socket. */
export function closed(client: Client, timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket did not close within ${timeoutMs} ms`)), timeoutMs);
    client.on('closed', (event) => {
      clearTimeout(timer);
      const e = event as { code: number; reason: string | Buffer };
      resolve({ code: e.code, reason: String(e.reason) });
    });
  });
}
