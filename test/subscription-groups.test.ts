// Subscribers of conversationEvents are grouped when they subscribe (src/graphql/subscription-groups.ts): a group
// executes each event once for all its members, a group of one executes with its member's own context, and a group
// goes with its last member.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { CreateGroup, Events, Send } from './messaging-ops.ts';
import { SubscriptionGroup, type GroupResult } from '../src/graphql/subscription-groups.ts';

/** The same field with a different selection: a group of its own. */
const EventsWithSender = graphql(`
  subscription EventsWithSender($c: ID) {
    conversationEvents(conversationId: $c) {
      type
      sequence
      message {
        id
        sender {
          id
        }
      }
    }
  }
`);

async function metrics(s: TestServer): Promise<{ groups: number; members: number; shared: number; reused: number; own: number }> {
  const body = await (await fetch(`${s.url}/metrics`)).text();
  const value = (pattern: RegExp) => Number(body.match(pattern)?.[1] ?? 0);
  return {
    groups: value(/^parley_subscription_groups (\d+)$/m),
    members: value(/^parley_subscription_group_members (\d+)$/m),
    shared: value(/^parley_subscription_event_executions_total\{kind="shared"\} (\d+)$/m),
    reused: value(/^parley_subscription_event_executions_total\{kind="reused"\} (\d+)$/m),
    own: value(/^parley_subscription_event_executions_total\{kind="own"\} (\d+)$/m),
  };
}

/** Polls the metrics until `check` holds (a stream's end reaches the server a moment after the client stops). */
async function eventually(s: TestServer, check: (m: Awaited<ReturnType<typeof metrics>>) => boolean) {
  for (let i = 0; i < 200; i++) {
    const m = await metrics(s);
    if (check(m)) return m;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`metrics never matched: ${JSON.stringify(await metrics(s))}`);
}

describe('subscription groups', () => {
  const server = useServer();

  it('executes an event once per group, with its own context for a group of one, and drops a group with its last member', async () => {
    const s = server();
    const [owner, ...members] = await Promise.all(Array.from({ length: 4 }, () => s.user()));
    const group = (await s.ok(CreateGroup, { title: 'Groups', memberIds: members.map((m) => m.id) }, { token: owner.token }))
      .createGroupConversation.id;
    const send = async (content: string) =>
      (await s.ok(Send, { input: { conversationId: group, content } }, { token: owner.token })).sendMessage.id;
    const base = await metrics(s);

    const same = members.map((m) => subscribe(s.ws({ token: m.token }), Events, { c: group }));
    const alone = subscribe(s.ws({ token: owner.token }), EventsWithSender, { c: group });
    await allLive([...same, alone], () => send('probe'));
    const live = await metrics(s);
    expect(live.groups - base.groups).toBe(2);
    expect(live.members - base.members).toBe(4);

    const before = await metrics(s);
    const id = await send('counted');
    const got = await Promise.all([...same, alone].map((sub) => sub.until((r) => JSON.stringify(r).includes(id))));
    expect(got.map((r) => (r.data as { conversationEvents: { message: { id: string } } }).conversationEvents.message.id)).toEqual(
      [...same, alone].map(() => id),
    );
    const after = await metrics(s);
    expect({ shared: after.shared - before.shared, reused: after.reused - before.reused, own: after.own - before.own }).toEqual({
      shared: 1,
      reused: same.length,
      own: 1,
    });

    // Two members leave the group of three: the one left executes with its own context.
    same[0].stop();
    same[1].stop();
    await eventually(s, (m) => m.members - base.members === 2);
    expect((await metrics(s)).groups - base.groups).toBe(2);
    const beforeAlone = await metrics(s);
    const second = await send('after leaving');
    await Promise.all([same[2], alone].map((sub) => sub.until((r) => JSON.stringify(r).includes(second))));
    const afterAlone = await metrics(s);
    expect(afterAlone.shared - beforeAlone.shared).toBe(0);
    expect(afterAlone.own - beforeAlone.own).toBe(2);

    same[2].stop();
    alone.stop();
    await eventually(s, (m) => m.groups === base.groups && m.members === base.members);
  });
});

describe("a group's results", () => {
  const settled = (value: GroupResult['value'], discard = false): GroupResult => ({
    value,
    promise: Promise.resolve(value ?? null),
    discard,
  });

  it('keeps a result for the members still to come, but not one that says the database was out of reach', async () => {
    const group = new SubscriptionGroup('g');
    let executions = 0;
    const ok = () => (executions++, settled({ data: { n: executions } }));
    expect(group.resultFor('c:1', ok).value).toEqual({ data: { n: 1 } });
    expect(group.resultFor('c:1', ok).value).toEqual({ data: { n: 1 } }); // kept
    expect(executions).toBe(1);

    // Settled later as unavailable: members waiting get it, a later one executes again.
    let settle!: (v: GroupResult['value']) => void;
    const pending: GroupResult = { promise: new Promise((resolve) => (settle = (v) => resolve(v ?? null))) };
    const first = group.resultFor('c:2', () => pending);
    expect(group.resultFor('c:2', () => settled({ data: null })).promise).toBe(first.promise); // shared while pending
    pending.discard = true;
    settle({ errors: [] });
    await first.promise;
    await Promise.resolve();
    expect(group.resultFor('c:2', ok).value).toEqual({ data: { n: 2 } });
  });
});
