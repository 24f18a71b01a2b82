import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import {
  AddMembers,
  code,
  ConversationQ,
  Conversations,
  ConversationWith,
  CreateGroup,
  Delete,
  Edit,
  Leave,
  MarkMessagesRead,
  MarkRead,
  Messages,
  RemoveMember,
  Rename,
  Search,
  Send,
  StartDirect,
  Stats,
  Users,
} from './messaging-ops.ts';

describe('messaging over HTTP', () => {
  const server = useServer();

  it('starts one DIRECT conversation per pair, and sendMessage with toUserId finds or creates it', async () => {
    const s = server();
    const [a, b] = [await s.user({ name: 'Ada' }), await s.user({ name: 'Bob' })];
    const first = await s.ok(Send, { input: { toUserId: b.id, content: '  hello Bob  ' } }, { token: a.token });
    expect(first.sendMessage).toMatchObject({ content: 'hello Bob', sequence: 3, senderName: 'Ada', sender: { id: a.id } }); // 1-2: members joined
    const started = await s.ok(StartDirect, { userId: a.id }, { token: b.token });
    expect(started.startDirectConversation.id).toBe(first.sendMessage.conversationId);
    expect(started.startDirectConversation.title).toBe('Ada'); // DIRECT: the other person
    const again = await s.ok(StartDirect, { userId: b.id }, { token: a.token });
    expect(again.startDirectConversation).toMatchObject({ id: first.sendMessage.conversationId, title: 'Bob' });
    expect((await s.ok(ConversationWith, { u: b.id }, { token: a.token })).conversationWith?.id).toBe(first.sendMessage.conversationId);
    expect(code(await s.gql(StartDirect, { userId: a.id }, { token: a.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(StartDirect, { userId: 'nobody' }, { token: a.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(StartDirect, { userId: b.id }))).toBe('UNAUTHENTICATED');
  });

  it('validates content and rejects foreign conversations', async () => {
    const s = server();
    const [a, b, c] = [await s.user(), await s.user(), await s.user()];
    const conv = (await s.ok(StartDirect, { userId: b.id }, { token: a.token })).startDirectConversation.id;
    const bad: [Record<string, unknown>, string][] = [
      [{ conversationId: conv, content: '   ' }, 'BAD_USER_INPUT'],
      [{ conversationId: conv, content: 'x'.repeat(4001) }, 'BAD_USER_INPUT'],
      [{ conversationId: conv, content: 'bell\u0007' }, 'BAD_USER_INPUT'],
      [{ conversationId: conv, content: 'nul\u0000' }, 'BAD_USER_INPUT'],
      [{ content: 'nowhere' }, 'BAD_USER_INPUT'],
      [{ conversationId: conv, toUserId: b.id, content: 'both' }, 'BAD_USER_INPUT'],
      [{ conversationId: conv, content: 'ok', clientMessageId: 'has space' }, 'BAD_USER_INPUT'],
      [{ conversationId: 'not-a-conversation', content: 'hi' }, 'NOT_FOUND'],
    ];
    for (const [input, expected] of bad)
      expect(code(await s.gql(Send, { input: input as never }, { token: a.token })), JSON.stringify(input).slice(0, 80)).toBe(expected);
    const ok = await s.ok(Send, { input: { conversationId: conv, content: `line 1\n\tline 2 ${'y'.repeat(3980)}` } }, { token: a.token });
    expect(ok.sendMessage.content?.length).toBe(3995);
    // c is not a member: the conversation does not exist for them
    expect(code(await s.gql(Send, { input: { conversationId: conv, content: 'hi' } }, { token: c.token }))).toBe('NOT_FOUND');
    expect(code(await s.gql(Messages, { c: conv }, { token: c.token }))).toBe('NOT_FOUND');
    expect((await s.ok(ConversationQ, { id: conv }, { token: c.token })).conversation).toBeNull();
    expect(code(await s.gql(Edit, { id: ok.sendMessage.id, content: 'mine now' }, { token: c.token }))).toBe('NOT_FOUND');
    expect(code(await s.gql(Delete, { id: ok.sendMessage.id }, { token: c.token }))).toBe('NOT_FOUND');
    expect(code(await s.gql(MarkRead, { c: conv }, { token: c.token }))).toBe('NOT_FOUND');
    expect(code(await s.gql(Search, { q: 'line', c: conv }, { token: c.token }))).toBe('NOT_FOUND');
    expect((await s.ok(Search, { q: 'line' }, { token: c.token })).searchMessages.edges).toEqual([]);
  });

  it('retrying with the same clientMessageId returns the first message and stores nothing new', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const input = { toUserId: b.id, content: 'once', clientMessageId: 'cm-1' };
    const results = await Promise.all([1, 2, 3, 4].map(() => s.ok(Send, { input }, { token: a.token })));
    const ids = new Set(results.map((r) => r.sendMessage.id));
    expect(ids.size).toBe(1);
    expect(results[0].sendMessage.clientMessageId).toBe('cm-1');
    expect(await s.db.prisma.message.count({ where: { senderId: a.id } })).toBe(1);
    // Another sender may use the same key.
    const other = await s.ok(Send, { input: { toUserId: a.id, content: 'mine', clientMessageId: 'cm-1' } }, { token: b.token });
    expect(other.sendMessage.id).not.toBe(results[0].sendMessage.id);
    expect(other.sendMessage.clientMessageId).toBe('cm-1');
    // Reusing a key for a different conversation is a client bug, not a retry.
    const c = await s.user();
    expect(code(await s.gql(Send, { input: { toUserId: c.id, content: 'once', clientMessageId: 'cm-1' } }, { token: a.token }))).toBe(
      'CONFLICT',
    );
    expect(
      code(
        await s.gql(
          Send,
          { input: { conversationId: other.sendMessage.conversationId, content: 'x', clientMessageId: 'cm-1' } },
          { token: b.token },
        ),
      ),
    ).toBeUndefined();
  });

  it('pages history by sequence with Relay cursors, newest page with last, and rejects malformed cursors', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const conv = (await s.ok(StartDirect, { userId: b.id }, { token: a.token })).startDirectConversation.id;
    for (let i = 1; i <= 7; i++)
      await s.ok(Send, { input: { conversationId: conv, content: `m${i}` } }, { token: i % 2 ? a.token : b.token });
    const p1 = (await s.ok(Messages, { c: conv, first: 3 }, { token: a.token })).messages;
    expect(p1.edges.map((e) => e.node.content)).toEqual(['m1', 'm2', 'm3']);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = (await s.ok(Messages, { c: conv, first: 3, after: p1.pageInfo.endCursor }, { token: a.token })).messages;
    expect(p2.edges.map((e) => e.node.content)).toEqual(['m4', 'm5', 'm6']);
    const newest = (await s.ok(Messages, { c: conv, last: 2 }, { token: a.token })).messages;
    expect(newest.edges.map((e) => e.node.content)).toEqual(['m6', 'm7']);
    expect(newest.pageInfo.hasPreviousPage).toBe(true);
    const older = (await s.ok(Messages, { c: conv, last: 2, before: newest.pageInfo.startCursor }, { token: a.token })).messages;
    expect(older.edges.map((e) => e.node.content)).toEqual(['m4', 'm5']);
    for (const cursor of [
      'garbage',
      Buffer.from('m:1.5').toString('base64url'),
      Buffer.from('c:["x","y"]').toString('base64url'),
      Buffer.from('m:-1').toString('base64url'),
      '%%%',
    ]) {
      expect(code(await s.gql(Messages, { c: conv, after: cursor }, { token: a.token })), cursor).toBe('BAD_USER_INPUT');
    }
    expect(code(await s.gql(Messages, { c: conv, first: 1000 }, { token: a.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(Messages, { c: conv, first: 1, last: 1 }, { token: a.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(Conversations, { after: 'nope' }, { token: a.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(Search, { q: 'm1', after: Buffer.from('m:3').toString('base64url') }, { token: a.token }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(code(await s.gql(Users, { after: 'x' }, { token: a.token }))).toBe('BAD_USER_INPUT');
  });

  it('edits keep history (sender only); deletes leave tombstones (sender or group owner)', async () => {
    const s = server();
    const [owner, a, b] = [await s.user(), await s.user(), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'Team', memberIds: [a.id, b.id] }, { token: owner.token })).createGroupConversation;
    const m = (await s.ok(Send, { input: { conversationId: group.id, content: 'v1' } }, { token: a.token })).sendMessage;
    expect(code(await s.gql(Edit, { id: m.id, content: 'hijack' }, { token: b.token }))).toBe('FORBIDDEN');
    expect(code(await s.gql(Edit, { id: m.id, content: '' }, { token: a.token }))).toBe('BAD_USER_INPUT');
    await s.ok(Edit, { id: m.id, content: 'v2' }, { token: a.token });
    const edited = (await s.ok(Edit, { id: m.id, content: 'v3' }, { token: a.token })).editMessage;
    expect(edited.content).toBe('v3');
    expect(edited.editedAt).toBeTruthy();
    expect(edited.edits.map((e) => e.content)).toEqual(['v1', 'v2']);
    expect(code(await s.gql(Delete, { id: m.id }, { token: b.token }))).toBe('FORBIDDEN');
    const deleted = (await s.ok(Delete, { id: m.id }, { token: owner.token })).deleteMessage;
    expect(deleted).toMatchObject({ content: null, sequence: m.sequence, edits: [] });
    expect(deleted.deletedAt).toBeTruthy();
    expect(code(await s.gql(Edit, { id: m.id, content: 'back' }, { token: a.token }))).toBe('BAD_USER_INPUT');
    const history = (await s.ok(Messages, { c: group.id }, { token: b.token })).messages.edges.map((e) => e.node);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ id: m.id, content: null });
    expect((await s.ok(Search, { q: 'v3' }, { token: a.token })).searchMessages.edges).toEqual([]);
    // A member's own message can be deleted by them; twice is harmless.
    const mine = (await s.ok(Send, { input: { conversationId: group.id, content: 'oops' } }, { token: b.token })).sendMessage;
    await s.ok(Delete, { id: mine.id }, { token: b.token });
    expect((await s.ok(Delete, { id: mine.id }, { token: b.token })).deleteMessage.content).toBeNull();
  });

  it('unread counts, read pointers and receipts follow markConversationRead / markMessagesRead', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    await makeContacts(s, a, b); // not a message request: b has accepted a's conversation
    const sent = [];
    for (let i = 0; i < 4; i++)
      sent.push((await s.ok(Send, { input: { toUserId: b.id, content: `hi ${i}` } }, { token: a.token })).sendMessage);
    const conv = sent[0].conversationId;
    await s.ok(Send, { input: { conversationId: conv, content: 'reply' } }, { token: b.token });
    expect((await s.ok(ConversationQ, { id: conv }, { token: b.token })).conversation?.unreadCount).toBe(4);
    expect((await s.ok(ConversationQ, { id: conv }, { token: a.token })).conversation?.unreadCount).toBe(1);
    expect((await s.ok(MarkRead, { c: conv, upTo: sent[1].id }, { token: b.token })).markConversationRead.unreadCount).toBe(2);
    // Never backwards:
    expect((await s.ok(MarkRead, { c: conv, upTo: sent[0].id }, { token: b.token })).markConversationRead.unreadCount).toBe(2);
    let history = (await s.ok(Messages, { c: conv }, { token: a.token })).messages.edges.map((e) => e.node);
    expect(history.map((m) => m.readBy.map((u) => u.id))).toEqual([[b.id], [b.id], [], [], []]);
    await s.ok(Delete, { id: sent[3].id }, { token: a.token }); // deleted messages are not unread
    expect((await s.ok(ConversationQ, { id: conv }, { token: b.token })).conversation?.unreadCount).toBe(1);
    expect((await s.ok(MarkMessagesRead, { ids: [sent[2].id] }, { token: b.token })).markMessagesRead).toEqual([
      { id: conv, unreadCount: 0 },
    ]);
    expect(code(await s.gql(MarkRead, { c: conv, upTo: 'nope' }, { token: b.token }))).toBe('NOT_FOUND');
    expect(code(await s.gql(MarkMessagesRead, { ids: [] }, { token: b.token }))).toBe('BAD_USER_INPUT');
    await s.ok(MarkRead, { c: conv }, { token: a.token });
    history = (await s.ok(Messages, { c: conv }, { token: b.token })).messages.edges.map((e) => e.node);
    expect(history.at(-1)!.readBy.map((u) => u.id)).toEqual([a.id]);
    const stats = (await s.ok(Stats, {}, { token: b.token })).messageStats;
    expect(stats).toMatchObject({ sent: 1, received: 3, unread: 0, conversations: 1 });
    expect(stats.perDay).toHaveLength(30);
    expect(stats.perDay.at(-1)).toMatchObject({ date: new Date().toISOString().slice(0, 10), sent: 1, received: 3 });
  });

  it('orders conversations by activity with lastMessage, and keeps queries bounded whatever the page size', async () => {
    const s = server();
    const me = await s.user();
    const run = async (n: number) => {
      const others = await Promise.all(Array.from({ length: n }, () => s.user()));
      for (const o of others) await makeContacts(s, o, me); // accepted, so listed (not message requests)
      for (const o of others) await s.ok(Send, { input: { toUserId: me.id, content: `from ${o.name}` } }, { token: o.token });
      await s.ok(Conversations, { first: n }, { token: me.token }); // warm: tenant cache and session lookups vary
      // The count is the server's, so background work (session sweep, cache expiry) can add to one sample: take the
      // fewest of three identical requests.
      const sample = async () => {
        const before = s.db.queryCount();
        const page = (await s.ok(Conversations, { first: n }, { token: me.token })).conversations;
        return { used: s.db.queryCount() - before, page };
      };
      const samples = [await sample(), await sample(), await sample()];
      return { used: Math.min(...samples.map((x) => x.used)), page: samples[2].page, others };
    };
    const small = await run(2);
    const big = await run(12);
    expect(big.page.edges).toHaveLength(12);
    expect(big.page.edges.map((e) => e.node.lastMessage?.sender?.id)).toEqual([...big.others].reverse().map((o) => o.id));
    expect(big.page.edges[0].node.unreadCount).toBe(1);
    expect(big.page.edges[0].node.members.map((m) => m.user.email)).toContain(big.others.at(-1)!.email); // an accepted contact
    expect(big.used).toBe(small.used);
    expect(big.used).toBeLessThanOrEqual(16);
    const next = (await s.ok(Conversations, { first: 10, after: big.page.pageInfo.endCursor }, { token: me.token })).conversations;
    expect(next.edges.map((e) => e.node.id)).toEqual(small.page.edges.map((e) => e.node.id));
    expect(next.pageInfo.hasNextPage).toBe(false);
  });

  it('manages groups: owners add and remove, owners rename (by default), leaving hands ownership on', async () => {
    const s = server();
    const [owner, a, b, c] = [await s.user(), await s.user(), await s.user(), await s.user()];
    const g = (await s.ok(CreateGroup, { title: ' Crew ', memberIds: [a.id, a.id, owner.id] }, { token: owner.token }))
      .createGroupConversation;
    expect(g).toMatchObject({ kind: 'GROUP', title: 'Crew' });
    expect(Object.fromEntries(g.members.map((m) => [m.user.id, m.role]))).toEqual({ [owner.id]: 'OWNER', [a.id]: 'MEMBER' });
    expect(code(await s.gql(CreateGroup, { title: '', memberIds: [a.id] }, { token: owner.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(AddMembers, { c: g.id, u: [b.id] }, { token: a.token }))).toBe('FORBIDDEN');
    expect((await s.ok(AddMembers, { c: g.id, u: [b.id, c.id] }, { token: owner.token })).addMembers.members).toHaveLength(4);
    // Renaming is for owners and admins unless the group's editPolicy lets every member (test/groups.test.ts).
    expect(code(await s.gql(Rename, { c: g.id, title: 'Crew 2' }, { token: b.token }))).toBe('FORBIDDEN');
    expect((await s.ok(Rename, { c: g.id, title: 'Crew 2' }, { token: owner.token })).renameConversation.title).toBe('Crew 2');
    expect(code(await s.gql(RemoveMember, { c: g.id, u: c.id }, { token: a.token }))).toBe('FORBIDDEN');
    expect((await s.ok(RemoveMember, { c: g.id, u: c.id }, { token: owner.token })).removeMember.members).toHaveLength(3);
    expect((await s.ok(ConversationQ, { id: g.id }, { token: c.token })).conversation).toBeNull();
    expect(await s.ok(Leave, { c: g.id }, { token: owner.token })).toEqual({ leaveConversation: true });
    const after = await s.db.prisma.conversationMember.findMany({ where: { conversationId: g.id }, orderBy: { joinedAt: 'asc' } });
    expect(after.find((m) => m.userId === a.id)?.role).toBe('OWNER');
    const direct = (await s.ok(StartDirect, { userId: b.id }, { token: a.token })).startDirectConversation.id;
    expect(code(await s.gql(Leave, { c: direct }, { token: a.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(Rename, { c: direct, title: 'x' }, { token: a.token }))).toBe('BAD_USER_INPUT');
  });

  it("searches with websearch syntax, ranks, highlights safely, and only in the viewer's conversations", async () => {
    const s = server();
    const [a, b, c] = [await s.user(), await s.user(), await s.user()];
    const send = (from: typeof a, to: typeof a, content: string) =>
      s.ok(Send, { input: { toUserId: to.id, content } }, { token: from.token });
    await send(a, b, 'Lunch on Friday? The <b>new</b> ramen place');
    await send(b, a, 'lunch lunch lunch, always lunch');
    await send(a, b, 'pizza for lunch is fine');
    await send(c, b, 'secret lunch plans between c and b');
    const hits = (await s.ok(Search, { q: 'lunch -pizza' }, { token: a.token })).searchMessages.edges.map((e) => e.node);
    expect(hits.map((h) => h.message.content)).toEqual(['lunch lunch lunch, always lunch', 'Lunch on Friday? The <b>new</b> ramen place']);
    expect(hits[0].rank).toBeGreaterThan(hits[1].rank);
    expect(hits[1].snippet).toContain('<mark>Lunch</mark>');
    expect(hits[1].snippet).toContain('&lt;b&gt;new&lt;/b&gt;');
    const phrase = (await s.ok(Search, { q: '"ramen place"' }, { token: b.token })).searchMessages.edges;
    expect(phrase).toHaveLength(1);
    expect((await s.ok(Search, { q: 'lunch' }, { token: b.token })).searchMessages.edges).toHaveLength(4);
    const paged = (await s.ok(Search, { q: 'lunch', first: 3 }, { token: b.token })).searchMessages;
    expect(paged.pageInfo.hasNextPage).toBe(true);
    const rest = (await s.ok(Search, { q: 'lunch', first: 3, after: paged.pageInfo.endCursor }, { token: b.token })).searchMessages;
    expect(rest.edges).toHaveLength(1);
    expect(code(await s.gql(Search, { q: '   ' }, { token: a.token }))).toBe('BAD_USER_INPUT');
    expect((await s.ok(Search, { q: 'the' }, { token: a.token })).searchMessages.edges).toEqual([]); // stop words only
  });

  it('search hits carry their messages: own fields from the search query itself, relations in one query per page', async () => {
    const s = server();
    const [a, b] = [await s.user({ name: 'Ada' }), await s.user({ name: 'Bob' })];
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      sent.push(
        (await s.ok(Send, { input: { toUserId: b.id, content: `budget line ${i}`, clientMessageId: `budget-${i}` } }, { token: a.token }))
          .sendMessage.id,
      );
    }
    const conv = (await s.ok(ConversationWith, { u: b.id }, { token: a.token })).conversationWith!.id;
    await s.ok(Edit, { id: sent[1], content: 'budget line 1, revised budget' }, { token: a.token });
    const fromBob = (await s.ok(Send, { input: { toUserId: a.id, content: 'the budget, from Bob' } }, { token: b.token })).sendMessage.id;
    const fields = 'id conversationId sequence content senderName clientMessageId createdAt editedAt deletedAt';
    // The fewest statements of three identical requests: background work (session sweeps) can add to one sample.
    const fewest = async <T>(run: () => Promise<T>) => {
      let used = Infinity;
      let result!: T;
      for (let i = 0; i < 3; i++) {
        const before = s.db.queryCount();
        result = await run();
        used = Math.min(used, s.db.queryCount() - before);
      }
      return { used, result };
    };
    const search = (selection: string, first: number) =>
      s.ok<{ searchMessages: { edges: { node: { rank: number; message: Record<string, unknown> } }[] } }, Record<string, unknown>>(
        `query($q: String!, $first: Int) { searchMessages(query: $q, first: $first) { edges { node { rank message { ${selection} } } } } }`,
        { q: 'budget', first },
        { token: a.token },
      );
    const history = await s.ok<{ messages: { edges: { node: Record<string, unknown> }[] } }, Record<string, unknown>>(
      `query($c: ID!) { messages(conversationId: $c, last: 50) { edges { node { ${fields} } } } }`,
      { c: conv },
      { token: a.token },
    );
    const byId = new Map(history.messages.edges.map((e) => [e.node.id, e.node]));

    // The message's own fields (senderName included: it needs the sender) equal what the history returns.
    const own = await fewest(() => search('id conversationId sequence content clientMessageId createdAt editedAt deletedAt', 20));
    const { senderName: _, ...ownFields } = Object.fromEntries(fields.split(' ').map((f) => [f, true]));
    expect(own.result.searchMessages.edges).toHaveLength(4);
    expect(own.result.searchMessages.edges[0].node.message.id).toBe(sent[1]); // "budget" twice ranks first
    for (const { node } of own.result.searchMessages.edges) {
      const expected = Object.fromEntries(Object.keys(ownFields).map((f) => [f, byId.get(node.message.id as string)![f]]));
      expect(node.message).toEqual(expected);
    }
    expect(own.result.searchMessages.edges.map((e) => e.node.message.clientMessageId)).toEqual(['budget-1', null, 'budget-2', 'budget-0']);
    expect(own.used).toBe(1); // the search statement alone

    // Relations: one more query for the page, whatever its size.
    const withRelations = (first: number) => fewest(() => search(`${fields} sender { id name } edits { content }`, first));
    const small = await withRelations(1);
    const big = await withRelations(20);
    expect(big.result.searchMessages.edges.map((e) => e.node.message)).toEqual(
      own.result.searchMessages.edges.map(({ node }) => ({
        ...byId.get(node.message.id as string),
        sender: node.message.id === fromBob ? { id: b.id, name: 'Bob' } : { id: a.id, name: 'Ada' },
        edits: node.message.id === sent[1] ? [{ content: 'budget line 1' }] : [],
      })),
    );
    expect(big.used).toBe(small.used);
  });

  it('reads a history page in one statement, membership checked in it; other relations add one query per page', async () => {
    const s = server();
    const [a, b, stranger] = [await s.user({ name: 'Ada' }), await s.user({ name: 'Bob' }), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'Plans', memberIds: [b.id] }, { token: a.token })).createGroupConversation.id;
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(
        (
          await s.ok(
            Send,
            { input: { conversationId: group, content: `plan ${i}`, clientMessageId: `p${i}` } },
            { token: i % 2 ? b.token : a.token },
          )
        ).sendMessage.id,
      );
    }
    await s.ok(Edit, { id: ids[2], content: 'plan 2, revised' }, { token: a.token });
    await s.ok(Delete, { id: ids[3] }, { token: b.token });
    const page = (selection: string, token = a.token, args = 'last: 4') =>
      s.gql<{ messages: { edges: { node: Record<string, unknown> }[]; pageInfo: Record<string, unknown> } }, Record<string, unknown>>(
        `query($c: ID!) { messages(conversationId: $c, ${args}) { edges { cursor node { ${selection} } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }`,
        { c: group },
        { token },
      );
    // The fewest statements of three identical requests: background work (session sweeps) can add to one sample.
    const fewest = async (run: () => Promise<unknown>) => {
      let used = Infinity;
      for (let i = 0; i < 3; i++) {
        const before = s.db.queryCount();
        await run();
        used = Math.min(used, s.db.queryCount() - before);
      }
      return used;
    };
    const fields = 'id conversationId sequence content senderName clientMessageId createdAt editedAt deletedAt sender { id name }';
    const fast = await page(fields);
    expect(fast.errors).toBeUndefined();
    expect(fast.data!.messages.edges.map((e) => e.node.content)).toEqual(['plan 2, revised', null, 'plan 4', 'plan 5']);
    expect(fast.data!.messages.edges.map((e) => e.node.clientMessageId)).toEqual(['p2', null, 'p4', null]); // own keys only
    expect(fast.data!.messages.edges[0].node).toMatchObject({ sender: { id: a.id, name: 'Ada' }, senderName: 'Ada' });
    expect(fast.data!.messages.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect(await fewest(() => page(fields))).toBe(1);

    // With edits the rows are loaded once more for the page, whatever its size; the shared fields are the same.
    const slow = await page(`${fields} edits { content }`);
    expect(slow.data!.messages.edges.map(({ node: { edits, ...rest } }) => rest)).toEqual(fast.data!.messages.edges.map((e) => e.node));
    expect(slow.data!.messages.edges.map((e) => e.node.edits)).toEqual([[{ content: 'plan 2' }], [], [], []]);
    expect(await fewest(() => page(`${fields} edits { content }`))).toBe(2);
    expect(await fewest(() => page(`${fields} edits { content }`, a.token, 'first: 1'))).toBe(2);

    // Pages and cursors read the same way; a deleted sender is null with the placeholder name.
    const older = (await page('content', a.token, `last: 10, before: "${fast.data!.messages.pageInfo.startCursor}"`)).data!.messages;
    expect(older.edges.map((e) => e.node.content)).toEqual(['plan 0', 'plan 1']);
    expect(older.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    await s.db.prisma.user.delete({ where: { id: b.id } });
    const orphaned = (await page('sender { id } senderName', a.token, 'first: 2')).data!.messages.edges.map((e) => e.node);
    expect(orphaned).toEqual([
      { sender: { id: a.id }, senderName: 'Ada' },
      { sender: null, senderName: 'Deleted user' },
    ]);

    // Not a member, or no such conversation: NOT_FOUND from the same statement; a member's empty page is no error.
    expect(code(await page('id', stranger.token))).toBe('NOT_FOUND');
    expect(code(await s.gql(Messages, { c: '00000000-0000-0000-0000-000000000000' }, { token: a.token }))).toBe('NOT_FOUND');
    const empty = (await s.ok(CreateGroup, { title: 'Quiet', memberIds: [stranger.id] }, { token: a.token })).createGroupConversation.id;
    expect((await s.ok(Messages, { c: empty }, { token: stranger.token })).messages.edges).toEqual([]);
  });

  it('keeps new messages out of a GIN pending list, which every search would scan', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    await s.ok(Send, { input: { toUserId: b.id, content: 'quarterly forecast spreadsheet' } }, { token: a.token });
    // Pages merged from the pending list into the index: none, since new entries go straight into it.
    const [merged] = await s.db.prisma.$queryRaw<
      { pages: number }[]
    >`SELECT gin_clean_pending_list('"Message_searchVector_idx"'::regclass)::int AS pages`;
    expect(merged.pages).toBe(0);
  });

  it('finds people in the tenant; contact details only for accepted contacts', async () => {
    const s = server();
    const tag = `Zed${Date.now()}`;
    const [me, x, y] = [
      await s.user({ name: `${tag} Me` }),
      await s.user({ name: `${tag} Xavier` }),
      await s.user({ name: `${tag} Yolanda` }),
    ];
    await makeContacts(s, me, x);
    const found = (await s.ok(Users, { search: tag.toLowerCase() }, { token: me.token })).users.edges.map((e) => e.node);
    expect(found.map((u) => u.id)).toEqual([x.id, y.id]);
    expect(found[0].email).toBe(x.email);
    expect(found[1].email).toBeNull();
    expect((await s.ok(Users, { search: y.email.slice(0, 6) }, { token: me.token })).users.edges).toEqual([]); // no email prefix probing
    // A whole address finds a contact only: a stranger's address is not confirmed to exist.
    expect((await s.ok(Users, { search: x.email }, { token: me.token })).users.edges.map((e) => e.node.id)).toEqual([x.id]);
    expect((await s.ok(Users, { search: y.email }, { token: me.token })).users.edges).toEqual([]);
    const p = (await s.ok(Users, { search: tag, first: 1 }, { token: me.token })).users;
    const p2 = (await s.ok(Users, { search: tag, first: 1, after: p.pageInfo.endCursor }, { token: me.token })).users;
    expect(p2.edges.map((e) => e.node.id)).toEqual([y.id]);
    expect(code(await s.gql(Users, {}))).toBe('UNAUTHENTICATED');
  });

  it('keeps conversations readable when a sender deletes their account', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    await makeContacts(s, a, b);
    const m = (await s.ok(Send, { input: { toUserId: b.id, content: 'bye' } }, { token: a.token })).sendMessage;
    await s.db.prisma.user.delete({ where: { id: a.id } });
    const history = (await s.ok(Messages, { c: m.conversationId }, { token: b.token })).messages.edges.map((e) => e.node);
    expect(history).toEqual([expect.objectContaining({ id: m.id, content: 'bye', sender: null, senderName: 'Deleted user' })]);
    const list = (await s.ok(Conversations, {}, { token: b.token })).conversations.edges.map((e) => e.node);
    expect(list[0].lastMessage).toMatchObject({ id: m.id, sender: null });
    expect((await s.ok(ConversationQ, { id: m.conversationId }, { token: b.token })).conversation?.unreadCount).toBe(1);
  });

  it('isolates tenants: nothing of tenant A is reachable from tenant B', async () => {
    const s = server();
    await s.services().tenants.add('msg-a');
    await s.services().tenants.add('msg-b');
    const [a1, a2] = [await s.user({ clientId: 'msg-a', name: 'Alpha' }), await s.user({ clientId: 'msg-a', name: 'Alpha2' })];
    const b1 = await s.user({ clientId: 'msg-b', name: 'Alpha Bee' });
    const A = { token: a1.token, clientId: 'msg-a' };
    const B = { token: b1.token, clientId: 'msg-b' };
    const m = (await s.ok(Send, { input: { toUserId: a2.id, content: 'tenant secret' } }, A)).sendMessage;
    expect(code(await s.gql(Send, { input: { toUserId: a1.id, content: 'hi' } }, B))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(StartDirect, { userId: a1.id }, B))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(CreateGroup, { title: 'x', memberIds: [a1.id] }, B))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(Send, { input: { conversationId: m.conversationId, content: 'hi' } }, B))).toBe('NOT_FOUND');
    expect(code(await s.gql(Messages, { c: m.conversationId }, B))).toBe('NOT_FOUND');
    expect(code(await s.gql(Edit, { id: m.id, content: 'x' }, B))).toBe('NOT_FOUND');
    expect(code(await s.gql(Delete, { id: m.id }, B))).toBe('NOT_FOUND');
    expect(code(await s.gql(MarkMessagesRead, { ids: [m.id] }, B))).toBe('NOT_FOUND');
    expect((await s.ok(ConversationQ, { id: m.conversationId }, B)).conversation).toBeNull();
    expect((await s.ok(ConversationWith, { u: a1.id }, B)).conversationWith).toBeNull();
    expect((await s.ok(Conversations, {}, B)).conversations.edges).toEqual([]);
    expect((await s.ok(Search, { q: 'secret' }, B)).searchMessages.edges).toEqual([]);
    expect((await s.ok(Users, { search: 'Alpha' }, B)).users.edges).toEqual([]);
    expect((await s.ok(Stats, {}, B)).messageStats).toMatchObject({ sent: 0, received: 0, conversations: 0 });
    // A's token does not work in B at all.
    expect(code(await s.gql(Conversations, {}, { token: a1.token, clientId: 'msg-b' }))).toBe('UNAUTHENTICATED');
  });
});
