// Shared by the fault tests: readiness, a conversation's stored history, and a conversationEvents client that
// remembers every sequence it saw (so a test can resume it with afterSequence and check for gaps).
import type { Client } from 'graphql-ws';
import { graphql } from '../gql/index.ts';
import type { TestServer, TestUser } from './server.ts';
import { subscribe, type Subscription } from './ws.ts';

const History = graphql(`
  query FaultsHistory($c: ID!, $after: String) {
    messages(conversationId: $c, first: 100, after: $after) {
      edges {
        node {
          id
          sequence
          clientMessageId
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
// `member` is read from the database for every event (a live message carries its message and sender, so those
// alone would not need it): an event always has something to lose when the database goes away.
const FaultEvents = graphql(`
  subscription FaultsEvents($c: ID, $after: Int) {
    conversationEvents(conversationId: $c, afterSequence: $after) {
      type
      sequence
      message {
        id
      }
      user {
        id
      }
      member {
        role
      }
    }
  }
`);

/** A describe title that says, when the block is skipped, what it needs: `requires` maps each need to whether it is met. */
export function titled(title: string, requires: Record<string, unknown>): string {
  const missing = Object.keys(requires).filter((k) => !requires[k]);
  return missing.length ? `${title} (skipped: needs ${missing.join(' and ')})` : title;
}

/** Polls /ready until it answers `status`; resolves with its body. */
export async function waitForReady(s: TestServer, status: number, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${s.url}/ready`);
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === status) return body;
    if (Date.now() > deadline)
      throw new Error(`/ready did not answer ${status} within ${timeoutMs} ms (last: ${res.status} ${JSON.stringify(body)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `check` (a query of the state a test waits for) until it holds. */
export async function until(check: () => Promise<boolean>, timeoutMs = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every stored message of the conversation, oldest first. */
export async function history(s: TestServer, user: Pick<TestUser, 'token'>, conversationId: string) {
  const out: { id: string; sequence: number; clientMessageId?: string | null }[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { messages: { edges: { node: (typeof out)[number] }[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } } } =
      await s.ok(History, { c: conversationId, after }, { token: user.token });
    out.push(...page.messages.edges.map((e) => e.node));
    if (!page.messages.pageInfo.hasNextPage) return out;
    after = page.messages.pageInfo.endCursor ?? null;
  }
}

export interface EventRecorder {
  /** Events that arrived with errors (fields that could not be resolved); a whole stream has none. */
  broken: unknown[];
  /** Every event received, across resumptions, in arrival order. */
  seen: { type: string; sequence: number; messageId: string | null }[];
  /** The sequence of the last event received. */
  last(): number;
  /** The current subscription (replaced by resume()). */
  current(): Subscription<unknown>;
  /** Subscribes again on `client` with afterSequence = last(). */
  resume(client: Client): void;
  /** Waits until an event with at least this sequence arrived (errors if the subscription ends first). */
  reach(sequence: number, timeoutMs?: number): Promise<void>;
}

/** Subscribes to one conversation's events from `after`, recording what arrives. */
export function recordEvents(client: Client, conversationId: string, after: number): EventRecorder {
  const seen: EventRecorder['seen'] = [];
  const broken: unknown[] = [];
  let sub: Subscription<unknown>;
  let last = after;
  let arrived: () => void = () => {};
  let pump: Promise<void> = Promise.resolve();
  const start = (c: Client) => {
    const mine = subscribe(c, FaultEvents, { c: conversationId, after: last });
    sub = mine as Subscription<unknown>;
    pump = (async () => {
      for (;;) {
        const next = await Promise.race([mine.next(600_000), mine.ended(600_000).then((error) => ({ ended: true, error }))]);
        if ('ended' in next) return;
        const event = (next as { data?: { conversationEvents: { type: string; sequence: number; message?: { id: string } | null } } }).data
          ?.conversationEvents;
        if (!event || (next as { errors?: unknown[] }).errors?.length) {
          broken.push(next);
          if (!event) continue;
        }
        seen.push({ type: event.type, sequence: event.sequence, messageId: event.message?.id ?? null });
        last = event.sequence;
        arrived();
      }
    })();
    pump.catch(() => {});
  };
  start(client);
  return {
    broken,
    seen,
    last: () => last,
    current: () => sub,
    resume: start,
    async reach(sequence, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (last < sequence) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`events stopped at sequence ${last}, expected ${sequence}`);
        await Promise.race([
          new Promise<void>((resolve) => (arrived = resolve)),
          pump.then(() => {
            if (last < sequence) throw new Error(`subscription ended at sequence ${last}, expected ${sequence}`);
          }),
          new Promise<void>((resolve) => setTimeout(resolve, remaining).unref()),
        ]);
      }
    },
  };
}
