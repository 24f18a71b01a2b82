// Following a run that another instance owns, or owned: through the bus (the message's `chat:events` topic) and the
// run's replay list in Redis. Subscribe first, prove the subscription live with a probe of our own, then read the list,
// then continue live, deduplicating by seq and filling any gap from the list. When neither the bus nor the list
// brings anything for a while, the owning instance is taken for gone and `fallback` supplies the final event from the
// database.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { isTerminal, type BusEvent, type ChatRunEvent } from './events.ts';
import type { RedisReplay } from './replay.ts';

export interface RemoteFollowDeps {
  pubsub: ParleyPubSub;
  replay: RedisReplay;
  logger: Logger;
  /** A follower that hears nothing for this long re-reads the replay list, then gives up on a dead run. */
  idleMs: number;
}

/** The run's events after `after`, then live to its terminal event. */
export async function* followRemote(
  deps: RemoteFollowDeps,
  messageId: string,
  after: number,
  fallback: () => Promise<ChatRunEvent>,
): AsyncGenerator<ChatRunEvent> {
  const { replay } = deps;
  const source = deps.pubsub.subscribe('chat:events', messageId)[Symbol.asyncIterator]() as AsyncIterator<BusEvent>;
  const nonce = randomUUID();
  const queue: ChatRunEvent[] = [];
  const waker: { wake: (() => void) | null } = { wake: null };
  let live = false;
  let ended = false;
  void (async () => {
    try {
      for (;;) {
        const r = await source.next();
        if (r.done) break;
        if (r.value.kind === 'probe') live ||= r.value.nonce === nonce;
        else queue.push(r.value);
        waker.wake?.();
      }
    } catch (err) {
      deps.logger.warn('chat event subscription failed', { messageId, error: err });
    } finally {
      ended = true;
      waker.wake?.();
    }
  })();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      waker.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  try {
    // Subscribing through Redis completes asynchronously: our own probe coming back proves it is live, and only
    // then is the replay list read, so an event is either in the list or arrives live (or both: seq dedupes).
    for (let i = 0; !live && !ended && i < 40; i++) {
      deps.pubsub.publish('chat:events', messageId, { kind: 'probe', nonce });
      const until = Date.now() + 250;
      while (!live && !ended && Date.now() < until) await wait(until - Date.now());
    }
    let last = after;
    const fromList = async function* (events: ChatRunEvent[]) {
      // The list is contiguous from seq 0 (one ordered writer per run).
      for (const e of events) {
        if (e.seq <= last && !isTerminal(e)) continue;
        last = e.seq;
        yield e;
      }
    };
    const listed = await replay.events(messageId);
    if (listed.length === 0 && !(await replay.owner(messageId))) return yield await fallback();
    for await (const e of fromList(listed)) {
      yield e;
      if (isTerminal(e)) return;
    }
    let quiet = 0;
    for (;;) {
      if (queue.length === 0) {
        if (ended) return yield await fallback();
        await wait(deps.idleMs);
        if (queue.length > 0) continue;
        // Nothing live for a while: catch up from the list; twice nothing means the owning instance is gone.
        const before = last;
        for await (const e of fromList(await replay.events(messageId))) {
          yield e;
          if (isTerminal(e)) return;
        }
        if (last === before && ++quiet >= 2) return yield await fallback();
        continue;
      }
      const e = queue.shift()!;
      if (e.seq <= last && !isTerminal(e)) continue;
      if (e.seq > last + 1) {
        // A gap (a live event overtook the list read): fill it from the list, which has everything before e.
        for await (const f of fromList(await replay.events(messageId))) {
          yield f;
          if (isTerminal(f)) return;
        }
        continue;
      }
      last = e.seq;
      quiet = 0;
      yield e;
      if (isTerminal(e)) return;
    }
  } finally {
    await source.return?.();
  }
}
