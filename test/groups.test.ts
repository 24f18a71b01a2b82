// Managing groups: roles and the permission table, group settings (announcement groups, who renames, history from
// joining), invite links and public groups, with the attempts to get around them.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { code, CreateGroup, Delete, Rename, RemoveMember, AddMembers } from './messaging-ops.ts';

const SetRole = graphql(`
  mutation SetRole($c: ID!, $u: ID!, $role: MemberRole!) {
    setMemberRole(conversationId: $c, userId: $u, role: $role) {
      id
      members {
        user {
          id
        }
        role
      }
    }
  }
`);

const Settings = graphql(`
  mutation GroupSettings(
    $c: ID!
    $title: String
    $description: String
    $post: GroupPolicy
    $edit: GroupPolicy
    $visibility: ConversationVisibility
    $history: HistoryVisibility
  ) {
    updateGroupSettings(
      conversationId: $c
      title: $title
      description: $description
      postPolicy: $post
      editPolicy: $edit
      visibility: $visibility
      historyVisibility: $history
    ) {
      id
      title
      description
      postPolicy
      editPolicy
      visibility
      historyVisibility
      viewerCan {
        post
        rename
        configure
        setRoles
      }
    }
  }
`);

const SendTo = graphql(`
  mutation SendToGroup($c: ID!, $text: String!) {
    sendMessage(input: { conversationId: $c, content: $text }) {
      id
      sequence
    }
  }
`);

const CreateLink = graphql(`
  mutation CreateLink($c: ID!, $expiresAt: DateTime, $maxUses: Int) {
    createInviteLink(conversationId: $c, expiresAt: $expiresAt, maxUses: $maxUses) {
      id
      code
      url
      uses
      maxUses
    }
  }
`);

const RevokeLink = graphql(`
  mutation RevokeLink($id: ID!) {
    revokeInviteLink(id: $id) {
      id
      revokedAt
    }
  }
`);

const JoinByInvite = graphql(`
  mutation JoinByInvite($code: String!) {
    joinByInvite(code: $code) {
      id
      memberCount
    }
  }
`);

const JoinPublic = graphql(`
  mutation JoinPublic($id: ID!) {
    joinConversation(id: $id) {
      id
      memberCount
    }
  }
`);

const PublicGroups = graphql(`
  query PublicGroups($search: String, $first: Int, $after: String) {
    publicConversations(search: $search, first: $first, after: $after) {
      edges {
        node {
          id
          title
          memberCount
          viewerCan {
            post
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const History = graphql(`
  query GroupHistory($c: ID!) {
    messages(conversationId: $c, last: 50) {
      edges {
        node {
          content
        }
      }
    }
    conversation(id: $c) {
      inviteLinks {
        id
        uses
      }
    }
  }
`);

const Events = graphql(`
  subscription GroupEvents($c: ID!, $after: Int) {
    conversationEvents(conversationId: $c, afterSequence: $after) {
      type
      sequence
      message {
        content
      }
    }
  }
`);

type Ctx = { s: TestServer; owner: TestUser; admin: TestUser; member: TestUser; group: string };

const PIN = 'mutation($m: ID!) { pinMessage(messageId: $m) { id } }';
const REACT = 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }';
type PinnedAndOne = { message: { id: string } | null; conversation: { pinnedMessages: { id: string }[] } | null };
const PINNED_AND_ONE = 'query($c: ID!, $m: ID!) { message(id: $m) { id } conversation(id: $c) { pinnedMessages { id } } }';

async function setUp(s: TestServer, title = 'Crew'): Promise<Ctx> {
  const [owner, admin, member] = [await s.user(), await s.user(), await s.user()];
  const group = (await s.ok(CreateGroup, { title, memberIds: [admin.id, member.id] }, { token: owner.token })).createGroupConversation.id;
  await s.ok(SetRole, { c: group, u: admin.id, role: 'ADMIN' }, { token: owner.token });
  return { s, owner, admin, member, group };
}

const settings = (c: Ctx, as: TestUser, vars: Omit<Parameters<TestServer['gql']>[1] & object, 'c'>) =>
  c.s.gql(Settings, { c: c.group, ...vars } as never, { token: as.token });

describe('group roles and settings', () => {
  const server = useServer();

  it('follow the permission table: owners set roles, admins manage, members post', async () => {
    const s = server();
    const c = await setUp(s);
    const [newcomer, other] = [await s.user(), await s.user()];
    // Roles: only an owner sets them, never their own.
    expect(code(await s.gql(SetRole, { c: c.group, u: c.member.id, role: 'ADMIN' }, { token: c.admin.token }))).toBe('FORBIDDEN');
    expect(code(await s.gql(SetRole, { c: c.group, u: c.owner.id, role: 'MEMBER' }, { token: c.owner.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(SetRole, { c: c.group, u: newcomer.id, role: 'ADMIN' }, { token: c.owner.token }))).toBe('BAD_USER_INPUT');
    // Renaming is for owners and admins by default.
    expect(code(await s.gql(Rename, { c: c.group, title: 'Members rule' }, { token: c.member.token }))).toBe('FORBIDDEN');
    expect((await s.ok(Rename, { c: c.group, title: 'Admins rule' }, { token: c.admin.token })).renameConversation.title).toBe(
      'Admins rule',
    );
    // Admins add; they remove members but not owners or other admins.
    expect(code(await s.gql(AddMembers, { c: c.group, u: [newcomer.id] }, { token: c.member.token }))).toBe('FORBIDDEN');
    await s.ok(AddMembers, { c: c.group, u: [newcomer.id, other.id] }, { token: c.admin.token });
    expect(code(await s.gql(RemoveMember, { c: c.group, u: c.owner.id }, { token: c.admin.token }))).toBe('FORBIDDEN');
    expect(code(await s.gql(RemoveMember, { c: c.group, u: other.id }, { token: c.member.token }))).toBe('FORBIDDEN');
    await s.ok(RemoveMember, { c: c.group, u: other.id }, { token: c.admin.token });
    // Admins delete others' messages; members do not.
    const said = (await s.ok(SendTo, { c: c.group, text: 'from the newcomer' }, { token: newcomer.token })).sendMessage.id;
    expect(code(await s.gql(Delete, { id: said }, { token: c.member.token }))).toBe('FORBIDDEN');
    await s.ok(Delete, { id: said }, { token: c.admin.token });
    // viewerCan says the same.
    const asMember = (await settings(c, c.member, {})).data!.updateGroupSettings.viewerCan;
    expect(asMember).toEqual({ post: true, rename: false, configure: false, setRoles: false });
    const asAdmin = (await settings(c, c.admin, {})).data!.updateGroupSettings.viewerCan;
    expect(asAdmin).toEqual({ post: true, rename: true, configure: true, setRoles: false });
  });

  it('make an announcement group, where only owners and admins post, refusing members in the same statement', async () => {
    const s = server();
    const c = await setUp(s);
    expect(code(await settings(c, c.member, { post: 'ADMINS' }))).toBe('FORBIDDEN');
    const changed = (await settings(c, c.admin, { post: 'ADMINS', edit: 'EVERYONE', description: 'News only' })).data!.updateGroupSettings;
    expect(changed).toMatchObject({ postPolicy: 'ADMINS', editPolicy: 'EVERYONE', description: 'News only' });
    const before = await s.services().prisma.conversation.findUniqueOrThrow({ where: { id: c.group } });
    const refused = await s.gql(SendTo, { c: c.group, text: 'can I?' }, { token: c.member.token });
    expect(code(refused)).toBe('FORBIDDEN');
    expect((await s.services().prisma.conversation.findUniqueOrThrow({ where: { id: c.group } })).lastSequence).toBe(before.lastSequence);
    await s.ok(SendTo, { c: c.group, text: 'Release on Friday' }, { token: c.admin.token });
    // editPolicy EVERYONE lets members rename, not configure.
    expect((await settings(c, c.member, { title: 'Renamed by a member' })).data!.updateGroupSettings.title).toBe('Renamed by a member');
    expect(code(await settings(c, c.member, { post: 'EVERYONE' }))).toBe('FORBIDDEN');
    // A stranger and a DIRECT conversation.
    const stranger = await s.user();
    expect(code(await settings(c, stranger, { title: 'mine' }))).toBe('NOT_FOUND');
    expect(code(await settings(c, c.admin, { description: 'x'.repeat(501) }))).toBe('BAD_USER_INPUT');
  });

  it('show a member who joins a FROM_JOIN group only what came after, in history and in replayed events', async () => {
    const s = server();
    const c = await setUp(s);
    const before = (await s.ok(SendTo, { c: c.group, text: 'before you came' }, { token: c.owner.token })).sendMessage.id;
    await s.ok(PIN, { m: before }, { token: c.owner.token });
    await settings(c, c.owner, { history: 'FROM_JOIN', visibility: 'PUBLIC' });
    // Found in the directory, before joining: no pins, no message.
    const outsider = await s.user();
    expect(await s.ok<PinnedAndOne, Record<string, unknown>>(PINNED_AND_ONE, { c: c.group, m: before }, { token: outsider.token })).toEqual(
      { message: null, conversation: null },
    );
    const late = await s.user();
    await s.ok(JoinPublic, { id: c.group }, { token: late.token });
    await s.ok(SendTo, { c: c.group, text: 'after you came' }, { token: c.owner.token });
    const history = await s.ok(History, { c: c.group }, { token: late.token });
    expect(history.messages.edges.map((e) => e.node.content)).toEqual(['after you came']);
    // Replayed from the start of the log: what comes is the join on, never the message from before it.
    const live = subscribe(s.ws({ token: late.token }), Events, { c: c.group, after: 0 });
    const seen: string[] = [];
    while (!seen.includes('after you came')) {
      const e = (await live.next()).data!.conversationEvents;
      seen.push(e.message?.content ?? e.type);
    }
    expect(seen).toEqual(['MEMBER_JOINED', 'after you came']);
    // Nor by its id, among the pins, or to react to.
    expect(await s.ok<PinnedAndOne, Record<string, unknown>>(PINNED_AND_ONE, { c: c.group, m: before }, { token: late.token })).toEqual({
      message: null,
      conversation: { pinnedMessages: [] },
    });
    expect(code(await s.gql(REACT, { m: before }, { token: late.token }))).toBe('NOT_FOUND');
    expect(
      (await s.ok<PinnedAndOne, Record<string, unknown>>(PINNED_AND_ONE, { c: c.group, m: before }, { token: c.member.token }))
        .conversation!.pinnedMessages,
    ).toEqual([{ id: before }]);
    expect((await s.ok(History, { c: c.group }, { token: c.member.token })).messages.edges.map((e) => e.node.content)).toEqual([
      'before you came',
      'after you came',
    ]);
  });
});

describe('invite links and public groups', () => {
  const server = useServer();

  it('let anyone of the tenant join with a code until it is used up, expires or is revoked', async () => {
    const s = server();
    const c = await setUp(s);
    expect(code(await s.gql(CreateLink, { c: c.group }, { token: c.member.token }))).toBe('FORBIDDEN');
    const link = (await s.ok(CreateLink, { c: c.group, maxUses: 2 }, { token: c.admin.token })).createInviteLink;
    expect(link.url).toContain(`?invite=${link.code}`);
    const [a, b, d] = [await s.user(), await s.user(), await s.user()];
    expect((await s.ok(JoinByInvite, { code: link.code }, { token: a.token })).joinByInvite.memberCount).toBe(4);
    // Joining again uses nothing.
    await s.ok(JoinByInvite, { code: link.code }, { token: a.token });
    await s.ok(JoinByInvite, { code: link.code }, { token: b.token });
    const usedUp = await s.gql(JoinByInvite, { code: link.code }, { token: d.token });
    expect([code(usedUp), usedUp.errors![0].extensions!.reason]).toEqual(['BAD_USER_INPUT', 'INVITE_USED_UP']);
    // Managers list links; members see none.
    expect((await s.ok(History, { c: c.group }, { token: c.owner.token })).conversation!.inviteLinks).toEqual([{ id: link.id, uses: 2 }]);
    expect((await s.ok(History, { c: c.group }, { token: c.member.token })).conversation!.inviteLinks).toEqual([]);

    const soon = (await s.ok(CreateLink, { c: c.group, expiresAt: new Date(Date.now() + 60_000).toISOString() }, { token: c.owner.token }))
      .createInviteLink;
    await s.services().prisma.inviteLink.update({ where: { id: soon.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await s.gql(JoinByInvite, { code: soon.code }, { token: d.token })).errors![0].extensions!.reason).toBe('INVITE_EXPIRED');
    const revoked = (await s.ok(CreateLink, { c: c.group }, { token: c.owner.token })).createInviteLink;
    expect(code(await s.gql(RevokeLink, { id: revoked.id }, { token: c.member.token }))).toBe('FORBIDDEN');
    await s.ok(RevokeLink, { id: revoked.id }, { token: c.admin.token });
    expect((await s.gql(JoinByInvite, { code: revoked.code }, { token: d.token })).errors![0].extensions!.reason).toBe('INVITE_REVOKED');

    // Unknown codes, another tenant's user, bad limits.
    expect(code(await s.gql(JoinByInvite, { code: 'nope' }, { token: d.token }))).toBe('NOT_FOUND');
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const foreigner = await s.user({ clientId: tenant });
    const live = (await s.ok(CreateLink, { c: c.group }, { token: c.owner.token })).createInviteLink;
    expect(code(await s.gql(JoinByInvite, { code: live.code }, { token: foreigner.token, clientId: tenant }))).toBe('NOT_FOUND');
    expect(code(await s.gql(CreateLink, { c: c.group, maxUses: 0 }, { token: c.owner.token }))).toBe('BAD_USER_INPUT');
    expect(
      code(await s.gql(CreateLink, { c: c.group, expiresAt: new Date(Date.now() - 1000).toISOString() }, { token: c.owner.token })),
    ).toBe('BAD_USER_INPUT');
  });

  it('let one of two racing joins take a link`s last use', async () => {
    const s = server();
    const c = await setUp(s);
    const link = (await s.ok(CreateLink, { c: c.group, maxUses: 1 }, { token: c.owner.token })).createInviteLink;
    const racers = await Promise.all(Array.from({ length: 4 }, () => s.user()));
    const results = await Promise.all(racers.map((u) => s.gql(JoinByInvite, { code: link.code }, { token: u.token })));
    expect(results.filter((r) => r.data?.joinByInvite).length).toBe(1);
    expect((await s.services().prisma.inviteLink.findUniqueOrThrow({ where: { id: link.id } })).uses).toBe(1);
  });

  it('list public groups by title and let anyone of the tenant join them, and no other', async () => {
    const s = server();
    const stamp = randomUUID().slice(0, 8);
    const open = await setUp(s, `Open ${stamp} chess`);
    const closed = await setUp(s, `Closed ${stamp} chess`);
    await settings(open, open.owner, { visibility: 'PUBLIC' });
    const visitor = await s.user();
    const found = await s.ok(PublicGroups, { search: stamp }, { token: visitor.token });
    expect(found.publicConversations.edges.map((e) => e.node)).toEqual([
      { id: open.group, title: `Open ${stamp} chess`, memberCount: 3, viewerCan: { post: false } },
    ]);
    // A non-member reads no history of a public group before joining.
    expect(code(await s.gql(History, { c: open.group }, { token: visitor.token }))).toBe('NOT_FOUND');
    expect(code(await s.gql(JoinPublic, { id: closed.group }, { token: visitor.token }))).toBe('NOT_FOUND');
    expect((await s.ok(JoinPublic, { id: open.group }, { token: visitor.token })).joinConversation.memberCount).toBe(4);
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const foreigner = await s.user({ clientId: tenant });
    expect(code(await s.gql(JoinPublic, { id: open.group }, { token: foreigner.token, clientId: tenant }))).toBe('NOT_FOUND');
    expect((await s.ok(PublicGroups, { search: stamp }, { token: foreigner.token, clientId: tenant })).publicConversations.edges).toEqual(
      [],
    );
  });

  it('tell members live when roles or settings change', async () => {
    const s = server();
    const c = await setUp(s);
    const live = subscribe(s.ws({ token: c.member.token }), Events, { c: c.group });
    await allLive([live], () => s.ok(SendTo, { c: c.group, text: 'probe' }, { token: c.owner.token }));
    await settings(c, c.admin, { description: 'New rules' });
    const got = await live.until((r) => r.data?.conversationEvents.type === 'CONVERSATION_UPDATED');
    expect(got.data!.conversationEvents.message).toBeNull();
  });
});
