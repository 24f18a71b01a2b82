// Blocking: the refusals, and every way a blocked user might still reach the blocker (a DIRECT conversation old or
// new, a group, a mention, a group add, presence and typing on sockets opened before the block). Over real HTTP and
// WebSocket.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { online } from './helpers/online.ts';
import { createConversation, makeContacts } from './helpers/conversations.ts';

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] };
const code = (r: Result) => r.errors?.[0]?.extensions?.code;
const reason = (r: Result) => r.errors?.[0]?.extensions?.reason;
const as = (u: TestUser) => ({ token: u.token, clientId: u.clientId });
type Vars = Record<string, unknown>;

const Block = 'mutation($u: ID!) { blockUser(userId: $u) }';
const Unblock = 'mutation($u: ID!) { unblockUser(userId: $u) }';
const Blocked = '{ blockedUsers { id name email } }';
const Start = 'mutation($u: ID!) { startDirectConversation(userId: $u) { id } }';
const SendIn = 'mutation($c: ID!, $t: String!) { sendMessage(input: { conversationId: $c, content: $t }) { id mentions { id } } }';
const Lists = '{ conversations { edges { node { id unreadCount } } } messageRequests { edges { node { id } } } messageStats { unread } }';
type ListsData = {
  conversations: { edges: { node: { id: string; unreadCount: number } }[] };
  messageRequests: { edges: { node: { id: string } }[] };
  messageStats: { unread: number };
};
const lists = (s: TestServer, u: TestUser) => s.ok<ListsData, Vars>(Lists, {}, as(u));
const startWith = async (s: TestServer, from: TestUser, to: TestUser) =>
  (await s.ok<{ startDirectConversation: { id: string } }, Vars>(Start, { u: to.id }, as(from))).startDirectConversation.id;

describe('blockUser, unblockUser, blockedUsers', () => {
  const server = useServer();

  it('blocks are idempotent; yourself, unknown users and other tenants are refused', async () => {
    const s = server();
    const [alice, bob] = [await s.user({ name: 'Alice' }), await s.user({ name: 'Bob' })];
    expect(await s.ok(Block, { u: bob.id }, as(alice))).toEqual({ blockUser: true });
    expect(await s.ok(Block, { u: bob.id }, as(alice))).toEqual({ blockUser: true });
    expect(await s.ok(Blocked, {}, as(alice))).toEqual({ blockedUsers: [{ id: bob.id, name: 'Bob', email: null }] });
    expect(await s.ok(Blocked, {}, as(bob))).toEqual({ blockedUsers: [] }); // nothing tells bob

    const self = await s.gql(Block, { u: alice.id }, as(alice));
    expect([code(self), reason(self)]).toEqual(['BAD_USER_INPUT', 'SELF_BLOCK']);
    expect(reason(await s.gql(Unblock, { u: alice.id }, as(alice)))).toBe('SELF_BLOCK');
    expect(code(await s.gql(Block, { u: 'no-such-user' }, as(alice)))).toBe('NOT_FOUND');
    await s.services().tenants.add('blocks-other');
    const foreign = await s.user({ clientId: 'blocks-other' });
    expect(code(await s.gql(Block, { u: foreign.id }, as(alice)))).toBe('NOT_FOUND');
    expect(code(await s.gql(Block, { u: alice.id }, as(foreign)))).toBe('NOT_FOUND');
    expect(code(await s.gql(Block, { u: bob.id }))).toBe('UNAUTHENTICATED');

    expect(await s.ok(Unblock, { u: bob.id }, as(alice))).toEqual({ unblockUser: true });
    expect(await s.ok(Unblock, { u: bob.id }, as(alice))).toEqual({ unblockUser: true });
    expect(await s.ok(Blocked, {}, as(alice))).toEqual({ blockedUsers: [] });
  });
});

describe('what a block does', () => {
  const server = useServer();

  it('an accepted DIRECT conversation: sends still succeed for the blocked user, the blocker never hears of them', async () => {
    const s = server();
    const [alice, bob] = [await s.user(), await s.user()];
    const c = await makeContacts(s, alice, bob);
    await s.ok(Block, { u: bob.id }, as(alice));
    for (let i = 0; i < 5; i++) await s.ok(SendIn, { c, t: `are you there? ${i}` }, as(bob)); // no request limit: nothing changes for bob
    const alices = await lists(s, alice);
    expect(alices.conversations.edges).toEqual([]);
    expect(alices.messageRequests.edges).toEqual([]);
    expect(alices.messageStats.unread).toBe(0);
    // No longer contacts, either way.
    const Card = 'query($c: ID!) { conversation(id: $c) { members { user { id email } } } }';
    type C = { conversation: { members: { user: { id: string; email: string | null } }[] } };
    const seenBy = async (u: TestUser) =>
      Object.fromEntries((await s.ok<C, Vars>(Card, { c }, as(u))).conversation.members.map((m) => [m.user.id, m.user.email]));
    expect((await seenBy(bob))[alice.id]).toBeNull();
    expect((await seenBy(alice))[bob.id]).toBeNull();
    expect(code(await s.gql('query($u: [ID!]!) { presence(userIds: $u) { status } }', { u: [alice.id] }, as(bob)))).toBe('FORBIDDEN');

    // Unblocked, the conversation is back, with what bob sent meanwhile unread from then on.
    await s.ok(Unblock, { u: bob.id }, as(alice));
    const back = await lists(s, alice);
    expect(back.conversations.edges.map((e) => [e.node.id, e.node.unreadCount])).toEqual([[c, 5]]);
    expect((await seenBy(bob))[alice.id]).toBe(alice.email);
  });

  it('a new DIRECT conversation from a blocked user is a request the blocker never sees, limited as any other', async () => {
    const s = server();
    const [alice, bob] = [await s.user(), await s.user()];
    await s.ok(Block, { u: bob.id }, as(alice));
    const c = await startWith(s, bob, alice);
    for (let i = 0; i < 3; i++) await s.ok(SendIn, { c, t: `hello ${i}` }, as(bob));
    expect(reason(await s.gql(SendIn, { c, t: 'hello 3' }, as(bob)))).toBe('REQUEST_LIMIT'); // as for an unanswered request
    const alices = await lists(s, alice);
    expect([alices.conversations.edges, alices.messageRequests.edges, alices.messageStats.unread]).toEqual([[], [], 0]);
    await s.ok(Unblock, { u: bob.id }, as(alice));
    expect((await lists(s, alice)).messageRequests.edges.map((e) => e.node.id)).toEqual([c]);
  });

  it('declining a request with block blocks its sender', async () => {
    const s = server();
    const [alice, bob] = [await s.user(), await s.user()];
    const c = await startWith(s, bob, alice);
    await s.ok('mutation($c: ID!) { declineMessageRequest(conversationId: $c, block: true) }', { c }, as(alice));
    expect((await s.ok<{ blockedUsers: { id: string }[] }, Vars>(Blocked, {}, as(alice))).blockedUsers.map((u) => u.id)).toEqual([bob.id]);
    expect((await lists(s, alice)).messageRequests.edges).toEqual([]);
  });

  it('in a shared group messages still arrive, marked senderBlockedByViewer, and do not count as unread; mentions of the blocker are dropped', async () => {
    const s = server();
    const [alice, bob, carol] = [
      await s.user({ username: 'alice_b1' }),
      await s.user({ username: 'bob_b1' }),
      await s.user({ username: 'carol_b1' }),
    ];
    const g = await createConversation(s, [alice, bob, carol]);
    await s.ok(Block, { u: bob.id }, as(alice));
    const sent = await s.ok<{ sendMessage: { id: string; mentions: { id: string }[] } }, Vars>(
      SendIn,
      { c: g, t: 'hey @alice_b1 and @carol_b1' },
      as(bob),
    );
    expect(sent.sendMessage.mentions.map((m) => m.id)).toEqual([carol.id]);
    await s.ok(SendIn, { c: g, t: 'from carol' }, as(carol));

    const History = `query($c: ID!) { conversation(id: $c) { unreadCount unreadMentionCount
      messages(last: 50) { edges { node { content sender { id } senderBlockedByViewer } } } } }`;
    type H = {
      conversation: {
        unreadCount: number;
        unreadMentionCount: number;
        messages: { edges: { node: { content: string; senderBlockedByViewer: boolean } }[] };
      };
    };
    const forAlice = (await s.ok<H, Vars>(History, { c: g }, as(alice))).conversation;
    expect(forAlice.messages.edges.map((e) => [e.node.content, e.node.senderBlockedByViewer])).toEqual([
      ['hey @alice_b1 and @carol_b1', true],
      ['from carol', false],
    ]);
    expect([forAlice.unreadCount, forAlice.unreadMentionCount]).toEqual([1, 0]);
    const forCarol = (await s.ok<H, Vars>(History, { c: g }, as(carol))).conversation;
    expect(forCarol.messages.edges.map((e) => e.node.senderBlockedByViewer)).toEqual([false, false]);
    expect(forCarol.unreadMentionCount).toBe(1);

    // An edit cannot bring the mention back.
    const Edit = 'mutation($id: ID!, $t: String!) { editMessage(id: $id, content: $t) { mentions { id } } }';
    expect(await s.ok(Edit, { id: sent.sendMessage.id, t: 'again @alice_b1' }, as(bob))).toEqual({ editMessage: { mentions: [] } });

    // A page of messages is a bounded number of statements, however many senders it has.
    const senders = [await s.user(), await s.user(), await s.user(), await s.user()];
    await s.ok(
      'mutation($c: ID!, $ids: [ID!]!) { addMembers(conversationId: $c, userIds: $ids) { id } }',
      { c: g, ids: senders.map((u) => u.id) },
      as(alice),
    );
    const count = async () => {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = s.db.queryCount();
        await s.ok(History, { c: g }, as(alice));
        samples.push(s.db.queryCount() - before);
      }
      return Math.min(...samples);
    };
    const few = await count();
    for (const u of senders) await s.ok(SendIn, { c: g, t: 'one more' }, as(u));
    await s.ok(Block, { u: senders[0].id }, as(alice));
    expect(await count()).toBe(few);
  });

  it('a blocked user cannot add the blocker to a group: the add succeeds and adds nobody, with no invitation', async () => {
    const s = server();
    const [alice, bob, carol] = [await s.user(), await s.user(), await s.user()];
    await s.ok(Block, { u: bob.id }, as(alice));
    const Create =
      'mutation($ids: [ID!]!) { createGroupConversation(title: "Party", memberIds: $ids) { id members { user { id } } pendingInvitations { id } } }';
    type G = { id: string; members: { user: { id: string } }[]; pendingInvitations: { id: string }[] };
    const made = (await s.ok<{ createGroupConversation: G }, Vars>(Create, { ids: [alice.id, carol.id] }, as(bob))).createGroupConversation;
    expect(made.members.map((m) => m.user.id).sort()).toEqual([bob.id, carol.id].sort());
    expect(made.pendingInvitations).toEqual([]);
    const Add =
      'mutation($c: ID!, $ids: [ID!]!) { addMembers(conversationId: $c, userIds: $ids) { members { user { id } } pendingInvitations { id } } }';
    const added = await s.ok<{ addMembers: Omit<G, 'id'> }, Vars>(Add, { c: made.id, ids: [alice.id] }, as(bob));
    expect(added.addMembers.members).toHaveLength(2);
    expect(added.addMembers.pendingInvitations).toEqual([]);
    expect(await s.ok('{ groupInvitations { edges { node { conversationId } } } }', {}, as(alice))).toEqual({
      groupInvitations: { edges: [] },
    });
    // With NOBODY, a stranger's add is an invitation; once the invitee blocks the inviter, it is no longer listed.
    await s.ok('mutation { updatePrivacySettings(groupAdds: NOBODY) { id } }', {}, as(carol));
    const dave = await s.user();
    await s.ok(Create, { ids: [carol.id] }, as(dave));
    const Invitations = '{ groupInvitations { edges { node { invitedBy { id } } } } }';
    expect(await s.ok(Invitations, {}, as(carol))).toEqual({ groupInvitations: { edges: [{ node: { invitedBy: { id: dave.id } } }] } });
    await s.ok(Block, { u: dave.id }, as(carol));
    expect(await s.ok(Invitations, {}, as(carol))).toEqual({ groupInvitations: { edges: [] } });
  });
});

describe('presence and typing on sockets opened before the block', () => {
  const server = useServer({ PRESENCE_GRACE_MS: '100' });
  const SetStatus = 'mutation($s: PresenceStatus!, $t: String) { setStatus(status: $s, text: $t) { status } }';
  const PresenceChanged = 'subscription { presenceChanged { user { id } statusText } }';
  const Typing = 'subscription($c: ID!) { typing(conversationId: $c) { user { id } isTyping } }';
  type P = { presenceChanged: { user: { id: string }; statusText: string | null } };
  type T = { typing: { user: { id: string }; isTyping: boolean } };

  it('presenceChanged stops delivering the blocker', async () => {
    const s = server();
    const [alice, bob, carol] = [await s.user(), await s.user(), await s.user()];
    await makeContacts(s, alice, bob);
    await makeContacts(s, carol, bob);
    await online(s, alice);
    await online(s, carol);
    const watch = subscribe<P, Vars>(s.ws({ token: bob.token }), PresenceChanged);
    await watch.live(() => s.ok(SetStatus, { s: 'ONLINE', t: 'probe' }, as(alice)));
    await s.ok(SetStatus, { s: 'AWAY', t: 'before' }, as(alice));
    await watch.until((e) => e.data?.presenceChanged.statusText === 'before');

    await s.ok(Block, { u: bob.id }, as(alice));
    await s.ok(SetStatus, { s: 'BUSY', t: 'after the block' }, as(alice));
    await s.ok(SetStatus, { s: 'AWAY', t: 'marker' }, as(carol));
    const next = await watch.until((e) => e.data?.presenceChanged.user.id === carol.id);
    expect(next.data?.presenceChanged.statusText).toBe('marker');
    expect(watch.buffered()).toBe(0);
    // bob's own view of alice now looks like anyone's who is not a contact.
    const Card = 'query($u: [ID!]!) { presence(userIds: $u) { status } }';
    expect(code(await s.gql(Card, { u: [alice.id] }, as(bob)))).toBe('FORBIDDEN');
  });

  it('typing stops delivering the blocker (and the blocked user) to each other', async () => {
    const s = server();
    const [alice, bob, carol] = [await s.user(), await s.user(), await s.user()];
    const g = await createConversation(s, [alice, bob, carol]);
    const SetTyping = 'mutation($c: ID!, $on: Boolean!) { setTyping(conversationId: $c, isTyping: $on) }';
    const bobSees = subscribe<T, Vars>(s.ws({ token: bob.token }), Typing, { c: g });
    const aliceSees = subscribe<T, Vars>(s.ws({ token: alice.token }), Typing, { c: g });
    await bobSees.live(() => s.ok(SetTyping, { c: g, on: true }, as(carol)));
    await aliceSees.until((e) => e.data?.typing.user.id === carol.id);
    await s.ok(SetTyping, { c: g, on: false }, as(carol));
    await bobSees.until((e) => e.data?.typing.user.id === carol.id && !e.data.typing.isTyping);
    await aliceSees.until((e) => e.data?.typing.user.id === carol.id && !e.data.typing.isTyping);

    await s.ok(Block, { u: bob.id }, as(alice));
    await s.ok(SetTyping, { c: g, on: true }, as(alice));
    await s.ok(SetTyping, { c: g, on: true }, as(bob));
    await s.ok(SetTyping, { c: g, on: true }, as(carol));
    expect((await bobSees.next()).data?.typing).toEqual({ user: { id: carol.id }, isTyping: true });
    const forAlice = await aliceSees.until((e) => e.data?.typing.user.id !== alice.id);
    expect(forAlice.data?.typing).toEqual({ user: { id: carol.id }, isTyping: true });
  });
});
