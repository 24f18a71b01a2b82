// The event bus's subscriptions, each with a bound. An unbounded queue (yoga's pub/sub keeps Repeaters that throw
// RepeaterOverflowError past 1,024 unread events, inside the bus's listener) would end the process: in memory as an
// uncaught exception, through Redis as one thrown inside ioredis's message handler. Here each subscription is a
// Delivery. The bus's readers are fan-outs and the services' own listeners, all reading
// at once, so the bound is a safety net: past it the oldest unread event is dropped and reported, and the reader
// keeps running (conversation streams read dropped events back from their log; presence keeps the latest states).
import type { Channels } from './channels.ts';
import { Delivery } from './delivery.ts';

/** Unread events one bus subscription may hold (its reader is an in-process listener that reads at once). */
export const BUS_MAX_QUEUED = 10_000;

export interface BoundedPubSub {
  /** Publishes on `<topic>` (`publish(topic, payload)`) or `<topic>:<id>` (`publish(topic, id, payload)`). */
  publish(topic: string, ...args: unknown[]): void;
  /** Listens on `<topic>[:<id>]` at once (not at the first read) until return(). */
  subscribe(topic: string, id?: string): Delivery<unknown>;
}

/** Publishing on `channels`, and subscriptions that never throw into their listeners; `onError` hears what went wrong. */
export function boundedPubSub(channels: Channels, onError: (err: Error) => void, maxQueued = BUS_MAX_QUEUED): BoundedPubSub {
  return {
    publish(topic, ...args) {
      if (args.length > 1) channels.publish(`${topic}:${String(args[0])}`, args[1]);
      else channels.publish(topic, args[0]);
    },
    subscribe(topic, id) {
      const channel = id === undefined ? topic : `${topic}:${id}`;
      return new Delivery<unknown>(
        (push) =>
          channels.listen(channel, (payload) => {
            try {
              push(payload);
            } catch (err) {
              onError(err as Error);
            }
          }),
        {
          maxQueued,
          overflow: 'drop-oldest',
          onOverflow: () => onError(new Error(`a reader of ${channel} fell ${maxQueued} events behind; its oldest events are dropped`)),
        },
      );
    },
  };
}
