import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphql } from './gql/index.ts';
import { useServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { createConversation, makeContacts } from './helpers/conversations.ts';
import { online } from './helpers/online.ts';

const PresenceQuery = graphql(`
  query PresenceOf($userIds: [ID!]!) {
    presence(userIds: $userIds) {
      user {
        id
        presence {
          status
        }
      }
      status
      statusText
      lastSeenAt
    }
  }
`);
const MyPresence = graphql(`
  query MyPresence {
    me {
      id
      presence {
        status
        statusText
      }
    }
  }
`);
const SetStatus = graphql(`
  mutation SetStatus($status: PresenceStatus!, $text: String) {
    setStatus(status: $status, text: $text) {
      status
      statusText
      user {
        id
      }
    }
  }
`);
const PresenceChanged = graphql(`
  subscription PresenceChanged($userIds: [ID!]) {
    presenceChanged(userIds: $userIds) {
      user {
        id
      }
      status
      statusText
      lastSeenAt
    }
  }
`);

const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

/** Three users; alice and bob are accepted contacts (and share a group), carol shares none with them. */
async function cast(s: TestServer) {
  const [alice, bob, carol] = [await s.user({ name: 'Alice' }), await s.user({ name: 'Bob' }), await s.user({ name: 'Carol' })];
  await createConversation(s, [alice, bob]);
  await makeContacts(s, alice, bob);
  return { alice, bob, carol };
}

type Event = {
  data?: { presenceChanged: { user: { id: string }; status: string; statusText?: string | null; lastSeenAt?: unknown } } | null;
};
const about = (userId: string, status?: string) => (e: Event) =>
  e.data?.presenceChanged.user.id === userId && (!status || e.data.presenceChanged.status === status);

describe('presence on one instance (short grace period)', () => {
  const server = useServer({ PRESENCE_GRACE_MS: '150' });

  it('is ONLINE while a socket is open, OFFLINE after the grace period, and stores lastSeenAt', async () => {
    const s = server();
    const { alice, bob } = await cast(s);
    const watch = subscribe(s.ws({ token: alice.token }), PresenceChanged, { userIds: [bob.id] });
    await watch.live(() => s.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));

    const before = await s.ok(PresenceQuery, { userIds: [bob.id] }, { token: alice.token });
    expect(before.presence[0]).toMatchObject({ status: 'OFFLINE', lastSeenAt: null, user: { id: bob.id } });

    const tab = await online(s, bob);
    await watch.until(about(bob.id, 'ONLINE'));
    const during = await s.ok(PresenceQuery, { userIds: [bob.id] }, { token: alice.token });
    expect(during.presence[0]).toMatchObject({ status: 'ONLINE', user: { presence: { status: 'ONLINE' } } });

    await tab.dispose();
    const offline = await watch.until(about(bob.id, 'OFFLINE'));
    expect(offline.data?.presenceChanged.lastSeenAt).toEqual(expect.any(String));
    const row = await s.db.prisma.user.findUniqueOrThrow({ where: { id: bob.id } });
    expect(row.lastSeenAt?.toISOString()).toBe(offline.data?.presenceChanged.lastSeenAt);
    const after = await s.ok(PresenceQuery, { userIds: [bob.id] }, { token: alice.token });
    expect(after.presence[0]).toMatchObject({ status: 'OFFLINE', lastSeenAt: row.lastSeenAt?.toISOString() });
  });

  it('stays ONLINE while another tab is open', async () => {
    const s = server();
    const { alice, bob } = await cast(s);
    const watch = subscribe(s.ws({ token: alice.token }), PresenceChanged, { userIds: [bob.id] });
    await watch.live(() => s.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));

    const first = await online(s, bob);
    const second = await online(s, bob);
    await watch.until(about(bob.id, 'ONLINE'));
    await first.dispose();
    // Several grace periods pass with one tab still open: nothing is announced, and bob is still ONLINE.
    await expect(watch.next(1_000)).rejects.toThrow(/timed out/);
    const still = await s.ok(PresenceQuery, { userIds: [bob.id] }, { token: alice.token });
    expect(still.presence[0].status).toBe('ONLINE');

    await second.dispose();
    await watch.until(about(bob.id, 'OFFLINE'));
  });

  it('shows the chosen status and text to contacts while connected, and rejects bad input', async () => {
    const s = server();
    const { alice, bob } = await cast(s);
    const watch = subscribe(s.ws({ token: alice.token }), PresenceChanged, { userIds: [bob.id] });
    await watch.live(() => s.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));
    await online(s, bob);
    await watch.until(about(bob.id, 'ONLINE'));

    const set = await s.ok(SetStatus, { status: 'BUSY', text: '  In a meeting ' }, { token: bob.token });
    expect(set.setStatus).toEqual({ status: 'BUSY', statusText: 'In a meeting', user: { id: bob.id } });
    const event = await watch.until(about(bob.id, 'BUSY'));
    expect(event.data?.presenceChanged.statusText).toBe('In a meeting');
    const me = await s.ok(MyPresence, {}, { token: bob.token });
    expect(me.me?.presence).toEqual({ status: 'BUSY', statusText: 'In a meeting' });

    expect(code(await s.gql(SetStatus, { status: 'OFFLINE' }, { token: bob.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(SetStatus, { status: 'AWAY', text: 'x'.repeat(101) }, { token: bob.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(SetStatus, { status: 'AWAY' }))).toBe('UNAUTHENTICATED');
    const ids = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expect(code(await s.gql(PresenceQuery, { userIds: ids }, { token: alice.token }))).toBe('BAD_USER_INPUT');
  });

  it('hides presence from people who share no conversation', async () => {
    const s = server();
    const { alice, bob, carol } = await cast(s);
    await online(s, alice);

    const denied = await s.gql(PresenceQuery, { userIds: [alice.id] }, { token: carol.token });
    expect(code(denied)).toBe('FORBIDDEN');
    expect(denied.errors?.[0].extensions?.userIds).toEqual([alice.id]);
    const unknown = await s.gql(PresenceQuery, { userIds: ['00000000-0000-4000-8000-000000000000'] }, { token: bob.token });
    expect(code(unknown)).toBe('FORBIDDEN');
    expect(code(await s.gql(PresenceQuery, { userIds: [alice.id] }))).toBe('UNAUTHENTICATED');

    const refused = subscribe(s.ws({ token: carol.token }), PresenceChanged, { userIds: [alice.id] });
    const error = await refused.next();
    expect(code(error)).toBe('FORBIDDEN');

    // Strangers reached through a visible object see OFFLINE and nothing else: bob sees alice, carol does not.
    const mine = await s.ok(PresenceQuery, { userIds: [alice.id] }, { token: bob.token });
    expect(mine.presence[0].user.presence.status).toBe('ONLINE');
  });

  it('without userIds, streams every contact and no stranger', async () => {
    const s = server();
    const { alice, bob, carol } = await cast(s);
    const watch = subscribe(s.ws({ token: alice.token }), PresenceChanged, {});
    await watch.live(() => s.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));

    const carolTab = await online(s, carol);
    const bobTab = await online(s, bob);
    const seen: Event[] = [];
    const collect = (match: (e: Event) => boolean) => (e: unknown) => (seen.push(e as Event), match(e as Event));
    await watch.until(collect(about(bob.id, 'ONLINE')));
    await Promise.all([carolTab.dispose(), bobTab.dispose()]);
    // By bob's OFFLINE (a grace period after both left), carol's ONLINE had long been published: never seen.
    await watch.until(collect(about(bob.id, 'OFFLINE')));
    expect(seen.some(about(bob.id, 'ONLINE'))).toBe(true);
    expect(seen.some((e) => about(carol.id)(e))).toBe(false);
  });
});

describe('presence on one instance (long grace period)', () => {
  const server = useServer({ PRESENCE_GRACE_MS: '60000' });

  it('does not flap when a user reconnects within the grace period', async () => {
    const s = server();
    const { alice, bob } = await cast(s);
    const watch = subscribe(s.ws({ token: alice.token }), PresenceChanged, { userIds: [bob.id] });
    await watch.live(() => s.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));

    const tab = await online(s, bob);
    await watch.until(about(bob.id, 'ONLINE'));
    await tab.dispose();
    const during = await s.ok(PresenceQuery, { userIds: [bob.id] }, { token: alice.token });
    expect(during.presence[0].status).toBe('ONLINE');
    await online(s, bob);

    // The next event is the marker below: no OFFLINE and no second ONLINE in between.
    await s.ok(SetStatus, { status: 'AWAY', text: 'marker' }, { token: bob.token });
    const next = await watch.until((e) => about(bob.id)(e) && e.data?.presenceChanged.statusText !== null);
    expect(next.data?.presenceChanged).toMatchObject({ status: 'AWAY', statusText: 'marker' });
  });
});

describe('presence of a client that stops answering pings', () => {
  const server = useServer({ WS_KEEPALIVE_MS: '1000', PRESENCE_GRACE_MS: '100' });

  // Pings every second (a shorter interval would also drop healthy clients of a test server whose event loop is
  // busy with the embedded database).
  it('drops the dead socket and announces OFFLINE', async () => {
    const s = server();
    const { alice, bob } = await cast(s);
    const watch = subscribe(s.ws({ token: alice.token }), PresenceChanged, { userIds: [bob.id] });
    await watch.live(() => s.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));

    // A client whose network went away: it is connected and acknowledged, but never answers a ping.
    const silent = new WebSocket(s.wsUrl, 'graphql-transport-ws', { autoPong: false });
    const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    await new Promise((resolve) => silent.on('open', resolve));
    silent.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${bob.token}` } }));
    await watch.until(about(bob.id, 'ONLINE'));
    expect(await closed).toBe(1006); // terminated by the server, no close frame
    await watch.until(about(bob.id, 'OFFLINE'));
  });
});
