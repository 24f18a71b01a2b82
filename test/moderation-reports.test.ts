// Reports and resolving them: only a message the reporter can see (else NOT_FOUND), users of the same tenant, the
// snapshot that survives an edit and a delete, repeats, limits, who sees which report, and each action a moderator
// takes (DISMISS, DELETE_MESSAGE, WARN, SUSPEND_USER) with its audit log entry.
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/server.ts';
import { as, code, group, ok, reason, send, team } from './helpers/moderation.ts';

const REPORT_MESSAGE = `mutation($m: ID!, $r: ReportReason!, $n: String) {
  reportMessage(messageId: $m, reason: $r, note: $n) {
    id reason note status content automatic targetUser { id }
    snapshot { kind content senderId senderName attachmentNames conversationId messageId }
  }
}`;
const REPORT_USER = `mutation($u: ID!, $r: ReportReason!, $n: String) {
  reportUser(userId: $u, reason: $r, note: $n) { id snapshot { kind name username } targetUser { id } }
}`;
const QUEUE = `query($s: ReportStatus) {
  moderationReports(status: $s, first: 50) { edges { node { id status action content reporter { id } resolutionNote } } }
}`;
const RESOLVE = `mutation($id: ID!, $a: ReportAction!, $n: String) {
  resolveReport(reportId: $id, action: $a, note: $n) { id status action resolutionNote }
}`;

type Report = { id: string; content: string; snapshot: { content: string; senderName: string; kind: string } };

describe('reporting', () => {
  const server = useServer({ REPORT_RATE_LIMIT: '4/3600' });

  it('reports a message the reporter can see, keeping what it said through an edit and a delete', async () => {
    const s = server();
    const { moderator, users } = await team(s);
    const [alice, bob] = users;
    const conversation = await group(s, [alice, bob]);
    const message = await send(s, bob, conversation, 'something nasty');
    const filed = await ok<{ reportMessage: Report & Record<string, unknown> }>(s, alice, REPORT_MESSAGE, {
      m: message.id,
      r: 'HARASSMENT',
      n: 'He keeps doing this',
    });
    expect(filed.reportMessage).toMatchObject({
      reason: 'HARASSMENT',
      note: 'He keeps doing this',
      status: 'OPEN',
      automatic: false,
      targetUser: { id: bob.id },
      snapshot: {
        kind: 'MESSAGE',
        content: 'something nasty',
        senderId: bob.id,
        senderName: bob.name,
        conversationId: conversation,
        messageId: message.id,
      },
    });
    await ok(s, bob, 'mutation($id: ID!) { editMessage(id: $id, content: "nothing to see") { id } }', { id: message.id });
    await ok(s, bob, 'mutation($id: ID!) { deleteMessage(id: $id) { id } }', { id: message.id });
    const queue = await ok<{ moderationReports: { edges: { node: { id: string; content: string; reporter: { id: string } } }[] } }>(
      s,
      moderator,
      QUEUE,
      { s: 'OPEN' },
    );
    const seen = queue.moderationReports.edges.find((e) => e.node.id === filed.reportMessage.id)!.node;
    expect(seen).toMatchObject({ content: 'something nasty', reporter: { id: alice.id } });
    const mine = await ok<{ myReports: { edges: { node: { id: string; content: string } }[] } }>(
      s,
      alice,
      '{ myReports(first: 5) { edges { node { id content } } } }',
    );
    expect(mine.myReports.edges.map((e) => e.node)).toEqual([{ id: filed.reportMessage.id, content: 'something nasty' }]);
  });

  it('answers NOT_FOUND for a message the reporter cannot see, and refuses their own', async () => {
    const s = server();
    const { users } = await team(s, 3);
    const other = await team(s);
    const [alice, bob, carol] = users;
    const message = await send(s, bob, await group(s, [alice, bob]), 'members only');
    const foreign = await send(s, other.users[0], await group(s, other.users), 'another tenant');
    for (const [who, id] of [
      [carol, message.id],
      [alice, foreign.id],
      [alice, '00000000-0000-4000-8000-000000000000'],
    ] as const)
      expect(code(await as(s, who, REPORT_MESSAGE, { m: id, r: 'SPAM' }))).toBe('NOT_FOUND');
    // A member whose view of the history starts later cannot report what came before it.
    await s.db.prisma.conversationMember.updateMany({ where: { userId: alice.id }, data: { visibleFrom: 1_000 } });
    expect(code(await as(s, alice, REPORT_MESSAGE, { m: message.id, r: 'SPAM' }))).toBe('NOT_FOUND');
    const own = await as(s, bob, REPORT_MESSAGE, { m: message.id, r: 'SPAM' });
    expect([code(own), reason(own)]).toEqual(['BAD_USER_INPUT', 'CANNOT_REPORT_SELF']);
  });

  it('reports users of the same tenant only, with their profile as it was', async () => {
    const s = server();
    const { moderator, users } = await team(s, 3);
    const other = await team(s);
    const [alice, bob, carol] = users;
    const filed = await ok<{ reportUser: { snapshot: { kind: string; name: string }; targetUser: { id: string } } }>(
      s,
      alice,
      REPORT_USER,
      {
        u: bob.id,
        r: 'SPAM',
      },
    );
    expect(filed.reportUser).toMatchObject({ snapshot: { kind: 'USER', name: bob.name }, targetUser: { id: bob.id } });
    expect(code(await as(s, alice, REPORT_USER, { u: other.users[0].id, r: 'SPAM' }))).toBe('NOT_FOUND');
    expect(reason(await as(s, alice, REPORT_USER, { u: alice.id, r: 'SPAM' }))).toBe('CANNOT_REPORT_SELF');
    // Status text is for the user's contacts: kept for moderators, not shown to the reporter.
    await ok(s, bob, 'mutation { setStatus(status: BUSY, text: "At the gym") { status } }');
    const withStatus = `mutation($u: ID!) { reportUser(userId: $u, reason: SPAM) { id snapshot { statusText } } }`;
    const byCarol = await ok<{ reportUser: { id: string; snapshot: { statusText: string | null } } }>(s, carol, withStatus, { u: bob.id });
    expect(byCarol.reportUser.snapshot.statusText).toBeNull();
    const queue = await ok<{ moderationReports: { edges: { node: { id: string; snapshot: { statusText: string | null } } }[] } }>(
      s,
      moderator,
      '{ moderationReports(first: 50) { edges { node { id snapshot { statusText } } } } }',
    );
    expect(queue.moderationReports.edges.find((e) => e.node.id === byCarol.reportUser.id)?.node.snapshot.statusText).toBe('At the gym');
  });

  it('returns the open report for a repeat, limits notes and reports per hour', async () => {
    const s = server();
    const { users } = await team(s, 4);
    const [alice, ...others] = users;
    const first = await ok<{ reportUser: { id: string } }>(s, alice, REPORT_USER, { u: others[0].id, r: 'SPAM' });
    const again = await ok<{ reportUser: { id: string } }>(s, alice, REPORT_USER, { u: others[0].id, r: 'HATE' });
    expect(again.reportUser.id).toBe(first.reportUser.id);
    expect(code(await as(s, alice, REPORT_USER, { u: others[1].id, r: 'SPAM', n: 'x'.repeat(1001) }))).toBe('BAD_USER_INPUT');
    for (const u of others.slice(1)) await ok(s, alice, REPORT_USER, { u: u.id, r: 'SPAM' });
    const conversation = await group(s, [alice, others[0]]);
    for (const text of ['one', 'two']) {
      const m = await send(s, others[0], conversation, text);
      const r = await as(s, alice, REPORT_MESSAGE, { m: m.id, r: 'SPAM' });
      if (text === 'two') expect(code(r)).toBe('RATE_LIMITED');
    }
  });
});

describe('resolving reports', () => {
  const server = useServer();

  it('keeps the queue and resolveReport to moderators of the tenant', async () => {
    const s = server();
    const { users } = await team(s);
    const other = await team(s);
    const filed = await ok<{ reportUser: { id: string } }>(s, users[0], REPORT_USER, { u: users[1].id, r: 'SPAM' });
    expect(code(await as(s, users[0], QUEUE))).toBe('FORBIDDEN');
    expect(code(await as(s, users[0], RESOLVE, { id: filed.reportUser.id, a: 'DISMISS' }))).toBe('FORBIDDEN');
    expect(code(await as(s, other.moderator, RESOLVE, { id: filed.reportUser.id, a: 'DISMISS' }))).toBe('NOT_FOUND');
    const theirs = await ok<{ moderationReports: { edges: { node: { id: string } }[] } }>(s, other.moderator, QUEUE);
    expect(theirs.moderationReports.edges.map((e) => e.node.id)).not.toContain(filed.reportUser.id);
    expect(code(await s.gql(QUEUE, {}, { clientId: users[0].clientId }))).toBe('UNAUTHENTICATED');
  });

  it('deletes the message (a tombstone), warns, suspends, dismisses, once each, in the audit log', async () => {
    const s = server();
    const { moderator, users } = await team(s, 3);
    const [alice, bob, carol] = users;
    const conversation = await group(s, [alice, bob, carol]);
    const report = async (text: string) => {
      const m = await send(s, bob, conversation, text);
      return { m, id: (await ok<{ reportMessage: { id: string } }>(s, alice, REPORT_MESSAGE, { m: m.id, r: 'SPAM' })).reportMessage.id };
    };
    const del = await report('buy my stuff');
    const resolved = await ok<{ resolveReport: Record<string, unknown> }>(s, moderator, RESOLVE, {
      id: del.id,
      a: 'DELETE_MESSAGE',
      n: 'spam',
    });
    expect(resolved.resolveReport).toMatchObject({ status: 'RESOLVED', action: 'DELETE_MESSAGE', resolutionNote: 'spam' });
    const history = await ok<{
      conversation: { messages: { edges: { node: { id: string; content: string; deletedAt: string | null } }[] } };
    }>(s, carol, 'query($c: ID!) { conversation(id: $c) { messages(last: 10) { edges { node { id content deletedAt } } } } }', {
      c: conversation,
    });
    expect(history.conversation.messages.edges.find((e) => e.node.id === del.m.id)?.node).toMatchObject({
      content: null,
      deletedAt: expect.any(String),
    });
    const twice = await as(s, moderator, RESOLVE, { id: del.id, a: 'DISMISS' });
    expect([code(twice), reason(twice)]).toEqual(['CONFLICT', 'ALREADY_RESOLVED']);

    const warn = await report('you are all idiots');
    await ok(s, moderator, RESOLVE, { id: warn.id, a: 'WARN', n: 'Be civil, please.' });
    const warnings = await ok<{ myWarnings: { note: string }[] }>(s, bob, '{ myWarnings { note createdAt } }');
    expect(warnings.myWarnings.map((w) => w.note)).toEqual(['Be civil, please.']);
    expect((await ok<{ myWarnings: unknown[] }>(s, alice, '{ myWarnings { note } }')).myWarnings).toEqual([]);
    // The reporter sees the outcome of their report, not the moderator's note.
    const mine = await ok<{ myReports: { edges: { node: { action: string; resolutionNote: string | null } }[] } }>(
      s,
      alice,
      '{ myReports(first: 1) { edges { node { action resolutionNote } } } }',
    );
    expect(mine.myReports.edges[0].node).toEqual({ action: 'WARN', resolutionNote: null });

    const dismiss = await report('meh');
    await ok(s, moderator, RESOLVE, { id: dismiss.id, a: 'DISMISS' });
    const suspend = await report('last straw');
    await ok(s, moderator, RESOLVE, { id: suspend.id, a: 'SUSPEND_USER', n: 'Repeated spam' });
    expect((await as<{ me: null }>(s, bob, '{ me { id } }')).data?.me).toBeNull();

    const log = await ok<{ moderationLog: { edges: { node: { action: string; reportId: string | null } }[] } }>(
      s,
      moderator,
      '{ moderationLog(first: 20) { edges { node { action reportId } } } }',
    );
    const actions = log.moderationLog.edges.map((e) => e.node.action).filter((a) => a !== 'SET_ROLE');
    expect(actions).toEqual([
      'RESOLVE_REPORT',
      'SUSPEND_USER',
      'RESOLVE_REPORT',
      'RESOLVE_REPORT',
      'WARN',
      'RESOLVE_REPORT',
      'DELETE_MESSAGE',
    ]);
  });

  it('resolves the other open reports of the same message with it', async () => {
    const s = server();
    const { moderator, users } = await team(s, 3);
    const [alice, bob, carol] = users;
    const conversation = await group(s, [alice, bob, carol]);
    const m = await send(s, bob, conversation, 'reported twice');
    const other = await send(s, bob, conversation, 'reported once');
    const ids = [];
    for (const [who, message] of [
      [alice, m],
      [carol, m],
      [carol, other],
    ] as const)
      ids.push((await ok<{ reportMessage: { id: string } }>(s, who, REPORT_MESSAGE, { m: message.id, r: 'SPAM' })).reportMessage.id);
    await ok(s, moderator, RESOLVE, { id: ids[0], a: 'DELETE_MESSAGE' });
    const all = await ok<{ moderationReports: { edges: { node: { id: string; status: string; action: string | null } }[] } }>(
      s,
      moderator,
      QUEUE,
    );
    const byId = new Map(all.moderationReports.edges.map((e) => [e.node.id, e.node]));
    expect(ids.map((id) => [byId.get(id)?.status, byId.get(id)?.action])).toEqual([
      ['RESOLVED', 'DELETE_MESSAGE'],
      ['RESOLVED', 'DELETE_MESSAGE'],
      ['OPEN', null],
    ]);
  });

  it('leaves a report open when its action is refused (a moderator cannot suspend an admin)', async () => {
    const s = server();
    const { admin, moderator, users } = await team(s);
    const filed = await ok<{ reportUser: { id: string } }>(s, users[0], REPORT_USER, { u: admin.id, r: 'OTHER' });
    expect(code(await as(s, moderator, RESOLVE, { id: filed.reportUser.id, a: 'SUSPEND_USER' }))).toBe('FORBIDDEN');
    const open = await ok<{ moderationReports: { edges: { node: { id: string; status: string } }[] } }>(s, moderator, QUEUE, { s: 'OPEN' });
    expect(open.moderationReports.edges.map((e) => e.node.id)).toContain(filed.reportUser.id);
    expect(code(await as(s, moderator, RESOLVE, { id: filed.reportUser.id, a: 'DELETE_MESSAGE' }))).toBe('BAD_USER_INPUT');
    // Nobody resolves a report about themself, not even by dismissing it.
    const aboutModerator = await ok<{ reportUser: { id: string } }>(s, users[0], REPORT_USER, { u: moderator.id, r: 'OTHER' });
    expect(code(await as(s, moderator, RESOLVE, { id: aboutModerator.reportUser.id, a: 'DISMISS' }))).toBe('FORBIDDEN');
    expect(
      (await ok<{ resolveReport: { status: string } }>(s, admin, RESOLVE, { id: aboutModerator.reportUser.id, a: 'DISMISS' })).resolveReport
        .status,
    ).toBe('RESOLVED');
  });
});
