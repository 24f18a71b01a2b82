// Consent: message requests, who counts as an accepted contact (contact details, presence), the harvest through a
// group, privacy settings and group invitations. Over real HTTP.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import { requestStanding } from '../src/db/sql/requests.ts';
import { subscribe } from './helpers/ws.ts';

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] };
const code = (r: Result) => r.errors?.[0]?.extensions?.code;
const reason = (r: Result) => r.errors?.[0]?.extensions?.reason;
const as = (u: TestUser) => ({ token: u.token, clientId: u.clientId });

const Start = 'mutation($u: ID!) { startDirectConversation(userId: $u) { id messageRequest } }';
const SendTo = 'mutation($u: ID!, $t: String!) { sendMessage(input: { toUserId: $u, content: $t }) { id conversationId } }';
const SendIn = 'mutation($c: ID!, $t: String!) { sendMessage(input: { conversationId: $c, content: $t }) { id } }';
const Lists = `{
  conversations { edges { node { id unreadCount } } }
  messageRequests { edges { node { id messageRequest unreadCount members { user { id email } } } } }
  messageStats { unread }
}`;
const Accept = 'mutation($c: ID!) { acceptMessageRequest(conversationId: $c) { id messageRequest unreadCount } }';
const Decline = 'mutation($c: ID!, $b: Boolean) { declineMessageRequest(conversationId: $c, block: $b) }';
const Contact = 'query($u: [ID!]!) { presence(userIds: $u) { status } }';
const UserCard = 'query($c: ID!) { conversation(id: $c) { members { user { id email phoneNumber presence { status lastSeenAt } } } } }';

type ListsData = {
  conversations: { edges: { node: { id: string; unreadCount: number } }[] };
  messageRequests: {
    edges: {
      node: { id: string; messageRequest: boolean; unreadCount: number; members: { user: { id: string; email: string | null } }[] };
    }[];
  };
  messageStats: { unread: number };
};
type Card = {
  conversation: { members: { user: { id: string; email: string | null; phoneNumber: string | null; presence: { status: string } } }[] };
};

const lists = (s: TestServer, u: TestUser) => s.ok<ListsData, Record<string, unknown>>(Lists, {}, as(u));
const emailsSeen = async (s: TestServer, viewer: TestUser, conversationId: string) =>
  Object.fromEntries(
    (await s.ok<Card, Record<string, unknown>>(UserCard, { c: conversationId }, as(viewer))).conversation.members.map((m) => [
      m.user.id,
      m.user.email,
    ]),
  );

describe('message requests', () => {
  const server = useServer();

  it('sends made at once into a request store no more than 3 messages: the rest are REQUEST_LIMIT', async () => {
    const s = server();
    const [alice, bob] = [await s.user(), await s.user()];
    const first = await s.ok<{ sendMessage: { conversationId: string } }, Record<string, unknown>>(
      SendTo,
      { u: bob.id, t: 'hi' },
      as(alice),
    );
    const c = first.sendMessage.conversationId;
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => s.gql(SendIn, { c, t: `at once ${i}` }, as(alice))));
    expect(burst.filter((r) => !r.errors).length).toBe(2);
    expect(new Set(burst.filter((r) => r.errors).map((r) => `${code(r)} ${reason(r)}`))).toEqual(new Set(['BAD_USER_INPUT REQUEST_LIMIT']));
    expect(await s.db.prisma.message.count({ where: { conversationId: c } })).toBe(3);
  });

  it('a new DIRECT conversation is a request: listed apart, no unread badge, 3 messages until accepted', async () => {
    const s = server();
    const [alice, bob] = [await s.user({ name: 'Alice' }), await s.user({ name: 'Bob' })];
    const first = await s.ok<{ sendMessage: { conversationId: string } }, Record<string, unknown>>(
      SendTo,
      { u: bob.id, t: 'hi 1' },
      as(alice),
    );
    const c = first.sendMessage.conversationId;
    await s.ok(SendIn, { c, t: 'hi 2' }, as(alice));
    await s.ok(SendTo, { u: bob.id, t: 'hi 3' }, as(alice));
    const fourth = await s.gql(SendIn, { c, t: 'hi 4' }, as(alice));
    expect([code(fourth), reason(fourth)]).toEqual(['BAD_USER_INPUT', 'REQUEST_LIMIT']);
    expect(reason(await s.gql(SendTo, { u: bob.id, t: 'hi 4' }, as(alice)))).toBe('REQUEST_LIMIT');

    const bobs = await lists(s, bob);
    expect(bobs.conversations.edges).toEqual([]);
    expect(bobs.messageStats.unread).toBe(0);
    expect(bobs.messageRequests.edges.map((e) => [e.node.id, e.node.messageRequest, e.node.unreadCount])).toEqual([[c, true, 0]]);
    // Not contacts yet: neither sees the other's address or presence.
    expect(await emailsSeen(s, bob, c)).toEqual({ [alice.id]: null, [bob.id]: bob.email });
    expect(await emailsSeen(s, alice, c)).toEqual({ [alice.id]: alice.email, [bob.id]: null });
    expect(code(await s.gql(Contact, { u: [bob.id] }, as(alice)))).toBe('FORBIDDEN');
    const alices = await lists(s, alice);
    expect(alices.conversations.edges.map((e) => e.node.id)).toEqual([c]); // the sender's own side is ordinary
    expect(alices.messageRequests.edges).toEqual([]);

    const accepted = await s.ok<{ acceptMessageRequest: { messageRequest: boolean; unreadCount: number } }, Record<string, unknown>>(
      Accept,
      { c },
      as(bob),
    );
    expect(accepted.acceptMessageRequest).toMatchObject({ messageRequest: false, unreadCount: 3 });
    const after = await lists(s, bob);
    expect(after.conversations.edges.map((e) => [e.node.id, e.node.unreadCount])).toEqual([[c, 3]]);
    expect(after.messageRequests.edges).toEqual([]);
    expect(after.messageStats.unread).toBe(3);
    expect(await emailsSeen(s, bob, c)).toEqual({ [alice.id]: alice.email, [bob.id]: bob.email });
    expect((await s.ok<{ presence: unknown[] }, Record<string, unknown>>(Contact, { u: [bob.id] }, as(alice))).presence).toHaveLength(1);
    await s.ok(SendIn, { c, t: 'hi 4' }, as(alice));
    // Accepting twice, or someone else's request, is NOT_FOUND.
    expect(code(await s.gql(Accept, { c }, as(bob)))).toBe('NOT_FOUND');
    expect(code(await s.gql(Accept, { c }, as(alice)))).toBe('NOT_FOUND');
  });

  it('the inbox stream carries a request live, marked as one and with no unread count, until it is accepted', async () => {
    const s = server();
    const [alice, bob, carol] = [await s.user(), await s.user(), await s.user()];
    const known = await makeContacts(s, carol, bob);
    type E = {
      conversationEvents: { type: string; conversationId: string; conversation: { messageRequest: boolean; unreadCount: number } };
    };
    const inbox = subscribe<E, Record<string, unknown>>(
      s.ws({ token: bob.token }),
      'subscription { conversationEvents { type conversationId conversation { messageRequest unreadCount } } }',
    );
    await inbox.live(() => s.ok(SendIn, { c: known, t: 'probe' }, as(carol)));
    const c = (
      await s.ok<{ sendMessage: { conversationId: string } }, Record<string, unknown>>(SendTo, { u: bob.id, t: 'hello' }, as(alice))
    ).sendMessage.conversationId;
    const event = await inbox.until(
      (e) => e.data?.conversationEvents.conversationId === c && e.data.conversationEvents.type === 'MESSAGE_ADDED',
    );
    expect(event.data?.conversationEvents.conversation).toEqual({ messageRequest: true, unreadCount: 0 });
    await s.ok(Accept, { c }, as(bob));
    await s.ok(SendIn, { c, t: 'accepted now' }, as(alice));
    const after = await inbox.until(
      (e) => e.data?.conversationEvents.conversationId === c && e.data.conversationEvents.type === 'MESSAGE_ADDED',
    );
    expect(after.data?.conversationEvents.conversation).toEqual({ messageRequest: false, unreadCount: 2 });
  });

  it('a reply accepts a request, and so does starting the conversation oneself', async () => {
    const s = server();
    const [alice, bob, carol] = [await s.user(), await s.user(), await s.user()];
    const c1 = (await s.ok<{ startDirectConversation: { id: string } }, Record<string, unknown>>(Start, { u: bob.id }, as(alice)))
      .startDirectConversation.id;
    await s.ok(SendIn, { c: c1, t: 'hello?' }, as(bob));
    expect((await lists(s, bob)).conversations.edges.map((e) => e.node.id)).toEqual([c1]);
    const c2 = (await s.ok<{ startDirectConversation: { id: string } }, Record<string, unknown>>(Start, { u: bob.id }, as(carol)))
      .startDirectConversation.id;
    const back = await s.ok<{ startDirectConversation: { id: string; messageRequest: boolean } }, Record<string, unknown>>(
      Start,
      { u: carol.id },
      as(bob),
    );
    expect(back.startDirectConversation).toEqual({ id: c2, messageRequest: false });
    expect(await emailsSeen(s, carol, c2)).toEqual({ [carol.id]: carol.email, [bob.id]: bob.email });
  });

  it('declining leaves the conversation; its sender cannot ask again, past the limit or by starting it again', async () => {
    const s = server();
    const [alice, bob] = [await s.user(), await s.user()];
    const c = (
      await s.ok<{ sendMessage: { conversationId: string } }, Record<string, unknown>>(SendTo, { u: bob.id, t: 'buy now' }, as(alice))
    ).sendMessage.conversationId;
    expect(await s.ok(Decline, { c }, as(bob))).toEqual({ declineMessageRequest: true });
    expect(code(await s.gql(Decline, { c }, as(bob)))).toBe('NOT_FOUND');
    const bobs = await lists(s, bob);
    expect([bobs.conversations.edges, bobs.messageRequests.edges]).toEqual([[], []]);
    expect(await s.ok(UserCard, { c }, as(bob))).toEqual({ conversation: null });
    const With = 'query($u: ID!) { conversationWith(userId: $u) { id members { user { id } } } }';
    expect(await s.ok(With, { u: alice.id }, as(bob))).toEqual({ conversationWith: null });

    const again = await s.ok<{ startDirectConversation: { id: string } }, Record<string, unknown>>(Start, { u: bob.id }, as(alice));
    expect(again.startDirectConversation.id).toBe(c);
    await s.ok(SendIn, { c, t: 'buy now 2' }, as(alice));
    await s.ok(SendIn, { c, t: 'buy now 3' }, as(alice));
    expect(reason(await s.gql(SendIn, { c, t: 'buy now 4' }, as(alice)))).toBe('REQUEST_LIMIT');
    expect((await lists(s, bob)).messageRequests.edges).toEqual([]);

    // Bob changing his mind and starting it himself brings him back, as an accepted contact.
    const mine = await s.ok<{ startDirectConversation: { id: string; messageRequest: boolean } }, Record<string, unknown>>(
      Start,
      { u: alice.id },
      as(bob),
    );
    expect(mine.startDirectConversation).toEqual({ id: c, messageRequest: false });
    expect(await emailsSeen(s, alice, c)).toEqual({ [alice.id]: alice.email, [bob.id]: bob.email });
    await s.ok(SendIn, { c, t: 'ok, tell me more' }, as(alice));
  });

  it('pages requests newest first and refuses bad cursors and foreign ids', async () => {
    const s = server();
    const bob = await s.user();
    const senders = [await s.user(), await s.user(), await s.user()];
    const ids: string[] = [];
    for (const u of senders)
      ids.push(
        (await s.ok<{ startDirectConversation: { id: string } }, Record<string, unknown>>(Start, { u: bob.id }, as(u)))
          .startDirectConversation.id,
      );
    const Page = 'query($a: String) { messageRequests(first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }';
    type P = { messageRequests: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const one = await s.ok<P, Record<string, unknown>>(Page, {}, as(bob));
    const two = await s.ok<P, Record<string, unknown>>(Page, { a: one.messageRequests.pageInfo.endCursor }, as(bob));
    expect([...one.messageRequests.edges, ...two.messageRequests.edges].map((e) => e.node.id)).toEqual(ids.reverse());
    expect([one.messageRequests.pageInfo.hasNextPage, two.messageRequests.pageInfo.hasNextPage]).toEqual([true, false]);
    expect(code(await s.gql(Page, { a: 'bogus' }, as(bob)))).toBe('BAD_USER_INPUT');
    await s.services().tenants.add('requests-other');
    const other = await s.user({ clientId: 'requests-other' });
    expect(code(await s.gql(Accept, { c: ids[0] }, as(other)))).toBe('NOT_FOUND');
    expect(code(await s.gql(Decline, { c: ids[0] }, as(other)))).toBe('NOT_FOUND');
    expect(code(await s.gql(Accept, { c: 'no-such-id' }, as(bob)))).toBe('NOT_FOUND');
    expect(code(await s.gql(Start, { u: bob.id }, as(other)))).toBe('BAD_USER_INPUT'); // another tenant's user is unknown
  });
});

describe('requestStanding (db/sql/requests.ts)', () => {
  const server = useServer();

  it("reads what Prisma reads: the sender's messages since the request, for either side, and null for groups", async () => {
    const s = server();
    const [alice, bob] = [await s.user(), await s.user()];
    const c = (await s.ok<{ sendMessage: { conversationId: string } }, Record<string, unknown>>(SendTo, { u: bob.id, t: 'one' }, as(alice)))
      .sendMessage.conversationId;
    await s.ok(SendIn, { c, t: 'two' }, as(alice));
    const bobs = await s.db.prisma.conversationMember.findUniqueOrThrow({
      where: { conversationId_userId: { conversationId: c, userId: bob.id } },
    });
    const sent = await s.db.prisma.message.count({
      where: { conversationId: c, senderId: alice.id, createdAt: { gte: bobs.requestedAt! } },
    });
    expect(await requestStanding(s.db.prisma, c, alice.id)).toEqual({ group: false, mine: false, sentUnaccepted: sent });
    expect(sent).toBe(2);
    expect(await requestStanding(s.db.prisma, c, bob.id)).toEqual({ group: false, mine: true, sentUnaccepted: null });
    const g = (
      await s.ok<{ createGroupConversation: { id: string } }, Record<string, unknown>>(
        'mutation($ids: [ID!]!) { createGroupConversation(title: "g", memberIds: $ids) { id } }',
        { ids: [bob.id] },
        as(alice),
      )
    ).createGroupConversation.id;
    expect(await requestStanding(s.db.prisma, g, alice.id)).toEqual({ group: true, mine: false, sentUnaccepted: null });
    expect(await requestStanding(s.db.prisma, g, 'no-such-user')).toBeNull();
  });
});

describe('accepted contacts and the harvest', () => {
  const server = useServer();

  it('a group with the whole directory, then leaving it, reveals no address, phone number or presence', async () => {
    const s = server();
    const victims = [await s.user({ name: 'V1' }), await s.user({ name: 'V2' }), await s.user({ name: 'V3' })];
    await s.ok(
      'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }',
      { i: { phoneNumber: '+442079460958' } },
      as(victims[0]),
    );
    const mallory = await s.user({ name: 'Mallory' });
    const Harvest = `mutation($ids: [ID!]!) { createGroupConversation(title: "hello", memberIds: $ids) {
      id members { user { id email phoneNumber presence { status statusText lastSeenAt } } } } }`;
    type H = {
      createGroupConversation: {
        id: string;
        members: {
          user: { id: string; email: string | null; phoneNumber: string | null; presence: { status: string; lastSeenAt: unknown } };
        }[];
      };
    };
    const got = await s.ok<H, Record<string, unknown>>(Harvest, { ids: victims.map((v) => v.id) }, as(mallory));
    const others = got.createGroupConversation.members.filter((m) => m.user.id !== mallory.id);
    expect(others).toHaveLength(3);
    for (const m of others)
      expect(m.user).toMatchObject({ email: null, phoneNumber: null, presence: { status: 'OFFLINE', lastSeenAt: null } });
    expect(code(await s.gql(Contact, { u: victims.map((v) => v.id) }, as(mallory)))).toBe('FORBIDDEN');
    const Users = 'query($q: String) { users(search: $q) { edges { node { id name email phoneNumber } } } }';
    type U = { users: { edges: { node: { id: string; email: string | null } }[] } };
    expect((await s.ok<U, Record<string, unknown>>(Users, { q: victims[0].email }, as(mallory))).users.edges).toEqual([]);
    const byName = await s.ok<U, Record<string, unknown>>(Users, { q: 'V' }, as(mallory));
    expect(byName.users.edges.map((e) => e.node.email)).toEqual([null, null, null]);
    await s.ok('mutation($c: ID!) { leaveConversation(conversationId: $c) }', { c: got.createGroupConversation.id }, as(mallory));
    expect(code(await s.gql(Contact, { u: [victims[0].id] }, as(mallory)))).toBe('FORBIDDEN');
    // Members of one group are not contacts of each other either; an accepted DIRECT conversation makes them so.
    const c = got.createGroupConversation.id;
    expect(await emailsSeen(s, victims[0], c)).toEqual({ [victims[0].id]: victims[0].email, [victims[1].id]: null, [victims[2].id]: null });
    await makeContacts(s, victims[0], victims[1]);
    expect((await emailsSeen(s, victims[0], c))[victims[1].id]).toBe(victims[1].email);
    expect(
      (await s.ok<U, Record<string, unknown>>(Users, { q: victims[1].email }, as(victims[0]))).users.edges.map((e) => e.node.id),
    ).toEqual([victims[1].id]);
  });
});

describe('privacy settings and group invitations', () => {
  const server = useServer();
  const Privacy = '{ me { id privacy { groupAdds } } }';
  const Update = 'mutation($g: GroupAddPolicy) { updatePrivacySettings(groupAdds: $g) { id privacy { groupAdds } } }';
  const Create =
    'mutation($ids: [ID!]!) { createGroupConversation(title: "Team", memberIds: $ids) { id members { user { id } } pendingInvitations { id } } }';
  const Add =
    'mutation($c: ID!, $ids: [ID!]!) { addMembers(conversationId: $c, userIds: $ids) { id members { user { id } } pendingInvitations { id } } }';
  const Invitations = '{ groupInvitations { edges { node { conversationId title invitedBy { id } } } } }';
  type G = { id: string; members: { user: { id: string } }[]; pendingInvitations: { id: string }[] };
  type I = { groupInvitations: { edges: { node: { conversationId: string; title: string; invitedBy: { id: string } } }[] } };
  const memberIds = (g: G) => g.members.map((m) => m.user.id).sort();

  it('EVERYONE by default; CONTACTS and NOBODY turn refused adds into invitations to accept or decline', async () => {
    const s = server();
    const [owner, friend, careful, hermit] = [await s.user(), await s.user(), await s.user(), await s.user()];
    expect(await s.ok(Privacy, {}, as(owner))).toEqual({ me: { id: owner.id, privacy: { groupAdds: 'EVERYONE' } } });
    expect(await s.ok(Update, { g: 'CONTACTS' }, as(careful))).toEqual({
      updatePrivacySettings: { id: careful.id, privacy: { groupAdds: 'CONTACTS' } },
    });
    await s.ok(Update, { g: 'NOBODY' }, as(hermit));
    await s.ok(Update, { g: 'CONTACTS' }, as(friend));
    await makeContacts(s, owner, friend);
    await makeContacts(s, owner, hermit);
    expect(await s.ok(Privacy, {}, as(hermit))).toMatchObject({ me: { privacy: { groupAdds: 'NOBODY' } } });
    // Another user's settings are not shown.
    const Other = 'query($c: ID!) { conversation(id: $c) { members { user { id privacy { groupAdds } } } } }';

    const made = (
      await s.ok<{ createGroupConversation: G }, Record<string, unknown>>(Create, { ids: [friend.id, careful.id, hermit.id] }, as(owner))
    ).createGroupConversation;
    expect(memberIds(made)).toEqual([owner.id, friend.id].sort());
    expect(made.pendingInvitations.map((u) => u.id).sort()).toEqual([careful.id, hermit.id].sort());
    const seen = await s.ok<{ conversation: { members: { user: { id: string; privacy: unknown } }[] } }, Record<string, unknown>>(
      Other,
      { c: made.id },
      as(owner),
    );
    expect(seen.conversation.members.find((m) => m.user.id === friend.id)!.user.privacy).toBeNull();

    const invited = await s.ok<I, Record<string, unknown>>(Invitations, {}, as(hermit));
    expect(invited.groupInvitations.edges.map((e) => e.node)).toEqual([
      { conversationId: made.id, title: 'Team', invitedBy: { id: owner.id } },
    ]);
    expect(await s.ok(UserCard, { c: made.id }, as(hermit))).toEqual({ conversation: null }); // not a member until accepted
    const Join = 'mutation($c: ID!) { acceptGroupInvitation(conversationId: $c) { id members { user { id } } pendingInvitations { id } } }';
    const joined = (await s.ok<{ acceptGroupInvitation: G }, Record<string, unknown>>(Join, { c: made.id }, as(hermit)))
      .acceptGroupInvitation;
    expect(memberIds(joined)).toEqual([owner.id, friend.id, hermit.id].sort());
    expect(joined.pendingInvitations.map((u) => u.id)).toEqual([careful.id]);
    expect(code(await s.gql(Join, { c: made.id }, as(hermit)))).toBe('NOT_FOUND');

    const NoThanks = 'mutation($c: ID!) { declineGroupInvitation(conversationId: $c) }';
    expect(await s.ok(NoThanks, { c: made.id }, as(careful))).toEqual({ declineGroupInvitation: true });
    expect(code(await s.gql(NoThanks, { c: made.id }, as(careful)))).toBe('NOT_FOUND');
    expect((await s.ok<I, Record<string, unknown>>(Invitations, {}, as(careful))).groupInvitations.edges).toEqual([]);

    // addMembers follows the same rule; adding again re-invites.
    const added = (await s.ok<{ addMembers: G }, Record<string, unknown>>(Add, { c: made.id, ids: [careful.id] }, as(owner))).addMembers;
    expect(added.pendingInvitations.map((u) => u.id)).toEqual([careful.id]);
    expect(memberIds(added)).not.toContain(careful.id);
    await makeContacts(s, owner, careful);
    const later = await s.ok<{ createGroupConversation: G }, Record<string, unknown>>(Create, { ids: [careful.id] }, as(owner));
    expect(memberIds(later.createGroupConversation)).toEqual([owner.id, careful.id].sort());
    // A stranger's invitation to someone of another tenant is refused as an unknown user.
    await s.services().tenants.add('privacy-other');
    const foreign = await s.user({ clientId: 'privacy-other' });
    expect(code(await s.gql(Create, { ids: [foreign.id] }, as(owner)))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(Update, { g: 'SOMETIMES' }, as(owner)))).toBe('BAD_USER_INPUT');
  });
});
