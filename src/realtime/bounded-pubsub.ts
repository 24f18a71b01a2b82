// graphql-yoga's pub/sub with a bound on every subscription. yoga's subscriptions are Repeaters that keep any number
// of unread events and, past 1,024, throw RepeaterOverflowError inside the event target's listener: in memory that
// is an uncaught exception, through Redis one thrown inside ioredis's message handler, and either ends the process.
// (Its `repeaterBuffer` option is one buffer object shared by every subscription, so it cannot bound them each.)
// Here each subscription is a Delivery. The bus's readers are fan-outs and the services' own listeners, all reading
// at once, so the bound is a safety net: past it the oldest unread event is dropped and reported, and the reader
// keeps running (conversation streams read dropped events back from their log; presence keeps the latest states).
import { createPubSub } from 'graphql-yoga';
import { Delivery } from './delivery.ts';

/** Unread events one bus subscription may hold (its reader is an in-process listener that reads at once). */
export const BUS_MAX_QUEUED = 10_000;

/** What a bus subscription listens on: an EventTarget, or yoga's Redis event target. */
interface Target {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  dispatchEvent(event: Event): boolean;
}

export interface BoundedPubSub {
  publish(topic: string, ...args: unknown[]): void;
  /** Listens on `<topic>[:<id>]` at once (not at the first read) until return(). */
  subscribe(topic: string, id?: string): Delivery<unknown>;
}

/** yoga's publish, and subscriptions that never throw into `target`'s listeners; `onError` hears what went wrong. */
export function boundedPubSub(target: Target, onError: (err: Error) => void, maxQueued = BUS_MAX_QUEUED): BoundedPubSub {
  const { publish } = createPubSub<Record<string, [unknown] | [string, unknown]>>({ eventTarget: target as never });
  return {
    publish: publish as BoundedPubSub['publish'],
    subscribe(topic, id) {
      const channel = id === undefined ? topic : `${topic}:${id}`; // as yoga's publish names it
      return new Delivery<unknown>(
        (push) => {
          const listener = (event: Event) => {
            try {
              push((event as CustomEvent).detail);
            } catch (err) {
              onError(err as Error);
            }
          };
          target.addEventListener(channel, listener);
          return { ready: Promise.resolve(), close: () => target.removeEventListener(channel, listener) };
        },
        {
          maxQueued,
          overflow: 'drop-oldest',
          onOverflow: () => onError(new Error(`a reader of ${channel} fell ${maxQueued} events behind; its oldest events are dropped`)),
        },
      );
    },
  };
}
