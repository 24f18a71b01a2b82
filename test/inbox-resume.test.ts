// The inbox stream (conversationEvents without conversationId) resumed with afterCursor after a gap: everything
// missed in every conversation (ones joined meanwhile from the viewer's MEMBER_JOINED, ones left up to their
// MEMBER_LEFT), nothing twice, then live; bounded cursors; refused cursors.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { AddMembers, code, CreateGroup, Edit, RemoveMember } from './messaging-ops.ts';
import type { InboxStream } from '../src/messaging/inbox.ts';
import {
  cursorReader,
  ev,
  Inbox,
  key,
  openTestInbox,
  readInbox,
  readLive,
  readUntil,
  send,
  takeExactly,
  type InboxRead,
} from './helpers/inbox.ts';

const InboxBadArgs = graphql(`
  subscription InboxBadArgs($c: ID, $cursor: String, $after: Int) {
    conversationEvents(conversationId: $c, afterCursor: $cursor, afterSequence: $after) {
      sequence
      cursor
    }
  }
`);

/** The first result of a subscription expected to fail: its error's extensions. */
async function refusal(sub: Subscription<unknown>) {
  const result = await Promise.race([sub.next(), sub.ended().then((e) => ({ errors: [e as { extensions?: Record<string, unknown> }] }))]);
  return (result as { errors?: { extensions?: Record<string, unknown> }[] }).errors?.[0]?.extensions;
}

/** The events a viewer may see in the log of a conversation after `after`: while a member, up to their MEMBER_LEFT. */
async function visibleAfter(s: TestServer, viewer: TestUser, conversationId: string, after: number, memberAtStart: boolean) {
  const rows = await s.db.prisma.conversationEvent.findMany({
    where: { conversationId, sequence: { gt: after } },
    orderBy: { sequence: 'asc' },
  });
  let member = memberAtStart;
  const out = [];
  for (const r of rows) {
    const own = r.userId === viewer.id;
    if (own && r.type === 'MEMBER_JOINED') member = true;
    if (member) out.push(key(r));
    if (own && r.type === 'MEMBER_LEFT') member = false;
  }
  return out;
}

describe('inbox stream resumed with afterCursor', () => {
  const server = useServer();

  it('replays exactly what was missed in every conversation, joined, left and removed from meanwhile, then goes on live', async () => {
    const s = server();
    const [v, a, b, owner] = [await s.user(), await s.user(), await s.user(), await s.user()];
    const direct = await makeContacts(s, a, v);
    const group = (await s.ok(CreateGroup, { title: 'Two', memberIds: [v.id, b.id] }, { token: a.token })).createGroupConversation.id;
    const leaving = (await s.ok(CreateGroup, { title: 'Leaving', memberIds: [v.id] }, { token: owner.token })).createGroupConversation.id;
    const quiet = (await s.ok(CreateGroup, { title: 'Quiet', memberIds: [v.id] }, { token: owner.token })).createGroupConversation.id;

    const first = s.ws({ token: v.token });
    const inbox = subscribe(first, Inbox, {});
    await inbox.live(() => send(s, a, direct, 'probe'));
    await send(s, b, group, 'seen live');
    const { marker } = await readUntil(inbox, (await send(s, a, direct, 'last seen')).id);
    const cursor = marker.cursor!;
    expect(cursor.length).toBeLessThan(300);
    await first.dispose();
    const stateAtGap = new Map<string, number>();
    for (const id of [direct, group, leaving, quiet])
      stateAtGap.set(id, (await s.db.prisma.conversation.findUniqueOrThrow({ where: { id } })).lastSequence);
    stateAtGap.set(direct, marker.sequence);

    // The gap: messages in two conversations, an edit, a new conversation with the viewer, a removal with messages
    // before and after it, and a group the viewer joined and left again while away.
    for (let i = 0; i < 3; i++) await send(s, a, direct, `missed direct ${i}`);
    const edited = await send(s, b, group, 'missed in group');
    await send(s, a, group, 'missed in group too');
    await s.ok(Edit, { id: edited.id, content: 'missed in group (edited)' }, { token: b.token });
    const fresh = (await s.ok(CreateGroup, { title: 'New', memberIds: [v.id] }, { token: b.token })).createGroupConversation.id;
    await send(s, b, fresh, 'welcome');
    await send(s, owner, leaving, 'before removal');
    await s.ok(RemoveMember, { c: leaving, u: v.id }, { token: owner.token });
    await send(s, owner, leaving, 'after removal');
    const passing = (await s.ok(CreateGroup, { title: 'Passing', memberIds: [] }, { token: owner.token })).createGroupConversation.id;
    await send(s, owner, passing, 'before the viewer came');
    await s.ok(AddMembers, { c: passing, u: [v.id] }, { token: owner.token });
    await send(s, owner, passing, 'while the viewer was there');
    await s.ok(RemoveMember, { c: passing, u: v.id }, { token: owner.token });
    await send(s, owner, passing, 'after the viewer left');

    const expected = [
      ...(await visibleAfter(s, v, direct, stateAtGap.get(direct)!, true)),
      ...(await visibleAfter(s, v, group, stateAtGap.get(group)!, true)),
      ...(await visibleAfter(s, v, leaving, stateAtGap.get(leaving)!, true)),
      ...(await visibleAfter(s, v, fresh, 0, false)),
      ...(await visibleAfter(s, v, passing, 0, false)),
    ];
    expect(expected).toHaveLength(3 + 3 + 2 + 2 + 3);

    const resumed = subscribe(s.ws({ token: v.token }), Inbox, { cursor });
    const got = await takeExactly(resumed, expected.length, () => send(s, a, direct, 'live again'));
    expect(got.map(key).sort()).toEqual([...expected].sort()); // everything missed, nothing twice, nothing else
    for (const id of [direct, group, leaving, fresh, passing]) {
      const mine = got.filter((e) => e.conversationId === id).map((e) => e.sequence);
      expect(mine).toEqual([...mine].sort((x, y) => x - y)); // in order within each conversation
    }
    const contents = got.filter((e) => e.type === 'MESSAGE_ADDED').map((e) => e.message?.content);
    expect(contents).not.toContain('after removal');
    expect(contents).not.toContain('after the viewer left');
    expect(contents).not.toContain('before the viewer came');
    expect(got.filter((e) => e.conversationId === leaving).at(-1)).toMatchObject({ type: 'MEMBER_LEFT', user: { id: v.id } });
    expect(got.filter((e) => e.conversationId === fresh)[0]).toMatchObject({ type: 'MEMBER_JOINED', user: { id: v.id } });
    expect(got.every((e) => typeof e.cursor === 'string' && e.cursor.length < 1000)).toBe(true);

    // Live afterwards, and a cursor from the resumed stream resumes again.
    const next = await send(s, b, group, 'after the resume');
    expect(ev(await resumed.next())).toMatchObject({ conversationId: group, message: { id: next.id } });
    expect(resumed.buffered()).toBe(0);
  });

  it('keeps cursors small across many conversations, and a cursor from the middle resumes exactly after it', async () => {
    const s = server();
    const [v, a] = [await s.user(), await s.user()];
    const groups: string[] = [];
    for (let i = 0; i < 30; i++)
      groups.push((await s.ok(CreateGroup, { title: `G${i}`, memberIds: [v.id] }, { token: a.token })).createGroupConversation.id);
    const first = s.ws({ token: v.token });
    const inbox = subscribe(first, Inbox, {});
    await inbox.live(() => send(s, a, groups[0], 'probe'));
    const sent: { id: string }[] = [];
    for (let round = 0; round < 2; round++) for (const g of groups) sent.push(await send(s, a, g, `r${round} ${g}`));
    const { got, marker: end } = await readUntil(inbox, (await send(s, a, groups[0], 'end')).id);
    const delivered = got.filter((e) => sent.some((m) => m.id === e.message?.id));
    expect(delivered.map((e) => e.message?.id).sort()).toEqual(sent.map((m) => m.id).sort());
    // Every conversation got events, but no cursor lists them all (30 would take some 2,000 characters): the stream
    // rebases onto newer snapshots.
    const longest = Math.max(...delivered.map((e) => e.cursor!.length));
    expect(longest).toBeLessThan(1200);
    await first.dispose();

    const middle = got.indexOf(delivered[37]);
    const resumed = subscribe(s.ws({ token: v.token }), Inbox, { cursor: got[middle].cursor });
    // Exactly the events after it (the later messages and the 'end' marker), nothing before, nothing twice.
    const after = [...got.slice(middle + 1), end];
    const rest = await takeExactly(resumed, after.length, () => send(s, a, groups[1], 'marker'));
    expect(rest.map(key).sort()).toEqual(after.map(key).sort());
  });

  it('has no gap and no duplicate while sends race the resume', async () => {
    const s = server();
    const [v, a, b] = [await s.user(), await s.user(), await s.user()];
    const convs = [
      await makeContacts(s, a, v),
      await makeContacts(s, b, v),
      (await s.ok(CreateGroup, { title: 'Race', memberIds: [v.id, b.id] }, { token: a.token })).createGroupConversation.id,
    ];
    const first = s.ws({ token: v.token });
    const inbox = subscribe(first, Inbox, {});
    await inbox.live(() => send(s, a, convs[0], 'probe'));
    const { marker } = await readUntil(inbox, (await send(s, a, convs[0], 'last seen')).id);
    await first.dispose();
    const before = new Map<string, number>();
    for (const id of convs) before.set(id, (await s.db.prisma.conversation.findUniqueOrThrow({ where: { id } })).lastSequence);
    const senders = [() => a, () => b, (i: number) => (i % 2 ? a : b)];
    const sends = Array.from({ length: 45 }, (_, i) => send(s, senders[i % 3](i), convs[i % 3], `race ${i}`));
    const resumed = subscribe(s.ws({ token: v.token }), Inbox, { cursor: marker.cursor });
    await Promise.all(sends);
    const last = new Map<string, number>();
    for (const id of convs) last.set(id, (await s.db.prisma.conversation.findUniqueOrThrow({ where: { id } })).lastSequence);
    const got = await takeExactly(resumed, 45, () => send(s, a, convs[2], 'end'));
    for (const id of convs) {
      const seqs = got.filter((e) => e.conversationId === id).map((e) => e.sequence);
      expect(seqs).toEqual(Array.from({ length: last.get(id)! - before.get(id)! }, (_, i) => before.get(id)! + 1 + i));
    }
  });

  it('refuses malformed, tampered and foreign cursors, and a cursor with conversationId', async () => {
    const s = server();
    await s.services().tenants.add('inbox-other');
    const [v, a, other] = [await s.user(), await s.user(), await s.user()];
    const foreigner = await s.user({ clientId: 'inbox-other' });
    const conv = await makeContacts(s, a, v);
    const inbox = subscribe(s.ws({ token: v.token }), Inbox, {});
    await inbox.live(() => send(s, a, conv, 'probe'));
    const { marker } = await readUntil(inbox, (await send(s, a, conv, 'secret')).id);
    const cursor = marker.cursor!;
    const [body, mac] = cursor.split('.');
    const tampered = `${body.slice(0, -2)}${body.at(-2) === 'A' ? 'B' : 'A'}${body.at(-1)}.${mac}`;
    for (const bad of ['', 'garbage', 'a.b', `${cursor}.x`, tampered, 'x'.repeat(17_000)]) {
      expect(await refusal(subscribe(s.ws({ token: v.token }), Inbox, { cursor: bad }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_CURSOR',
      });
    }
    // Another viewer of the same tenant, or of another tenant, learns nothing from it: the same refusal.
    expect(await refusal(subscribe(s.ws({ token: other.token }), Inbox, { cursor }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_CURSOR',
    });
    const foreign = subscribe(s.ws({ token: foreigner.token, clientId: 'inbox-other' }), Inbox, { cursor });
    expect(await refusal(foreign)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    expect(code(await subscribe(s.ws({ token: v.token }), InboxBadArgs, { c: conv, cursor }).next())).toBe('BAD_USER_INPUT');
    expect(code(await subscribe(s.ws({ token: v.token }), InboxBadArgs, { after: 1 }).next())).toBe('BAD_USER_INPUT');
    // One conversation's stream has no inbox cursor.
    const one = subscribe(s.ws({ token: v.token }), InboxBadArgs, { c: conv, after: marker.sequence - 1 });
    expect(ev(await one.next())).toMatchObject({ sequence: marker.sequence, cursor: null });
  });

  it('reads a backlog over many conversations with at most maxQueued events in memory, and resumes exactly from a cursor taken mid-replay', async () => {
    const s = server();
    const [v, a] = [await s.user(), await s.user()];
    const groups: string[] = [];
    for (let i = 0; i < 12; i++)
      groups.push((await s.ok(CreateGroup, { title: `B${i}`, memberIds: [v.id] }, { token: a.token })).createGroupConversation.id);
    const read = async (stream: InboxStream) => {
      const got = await readInbox(stream);
      expect(stream.queued()).toBeLessThanOrEqual(5);
      return got;
    };
    /** The next event is the one of a message sent now: nothing else was waiting. */
    const nothingElse = async (stream: InboxStream) => {
      const marker = await send(s, a, groups[0], 'marker');
      expect((await read(stream)).event.messageId).toBe(marker.id);
      return marker.sequence;
    };

    const live = await openTestInbox(s, v, null, 5);
    const seen = await readLive(live, () => send(s, a, groups[0], 'probe'));
    await live.return!();

    const backlog = new Map(groups.map((g) => [g, [] as number[]]));
    for (let i = 0; i < 25; i++) for (const g of groups) backlog.get(g)!.push((await send(s, a, g, `backlog ${i}`)).sequence);

    const resumed = await openTestInbox(s, v, seen.cursor, 5);
    const firstPart: InboxRead[] = [];
    for (let i = 0; i < 100; i++) firstPart.push(await read(resumed));
    const middle = firstPart.at(-1)!.cursor;
    expect((await cursorReader(s, v))(middle).base.old).not.toBeNull(); // taken while the resume was still sweeping
    const all = [...firstPart];
    for (let i = 100; i < 300; i++) all.push(await read(resumed));
    backlog.get(groups[0])!.push(await nothingElse(resumed)); // the next stream has this marker to catch up on too
    await resumed.return!();
    for (const g of groups)
      expect(all.filter((r) => r.event.conversationId === g).map((r) => r.event.sequence)).toEqual(backlog.get(g)!.slice(0, 25));
    expect(Math.max(...all.map((r) => r.cursor.length))).toBeLessThan(1000);

    const again = await openTestInbox(s, v, middle, 5);
    const rest = [];
    for (let i = 0; i < 201; i++) rest.push((await read(again)).event);
    await nothingElse(again);
    await again.return!();
    for (const g of groups) {
      const before = firstPart.filter((r) => r.event.conversationId === g).map((r) => r.event.sequence);
      expect([...before, ...rest.filter((e) => e.conversationId === g).map((e) => e.sequence)]).toEqual(backlog.get(g));
    }
  });

  it('gives cursors over SSE too, and a resume there replays what was missed', async () => {
    const s = server();
    const [v, a] = [await s.user(), await s.user()];
    const conv = await makeContacts(s, a, v);
    /** Opens the inbox on text/event-stream and returns its first `count` events. */
    const sse = async (cursor: string | null, count: number, whileOpen: () => Promise<unknown>) => {
      const abort = new AbortController();
      const res = await fetch(`${s.url}/graphql`, {
        method: 'POST',
        signal: abort.signal,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${v.token}` },
        body: JSON.stringify({
          query: 'subscription($cursor: String) { conversationEvents(afterCursor: $cursor) { sequence cursor message { content } } }',
          variables: { cursor },
        }),
      });
      const reader = res.body!.getReader();
      const events: { sequence: number; cursor: string; message: { content: string } }[] = [];
      let text = '';
      void whileOpen();
      while (events.length < count) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
        const all = [...text.matchAll(/event: next\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]).data.conversationEvents);
        events.splice(0, events.length, ...all);
      }
      abort.abort();
      return events;
    };
    // Live: probe until the stream is on (a send before that is history to it).
    let on = false;
    let probing: Promise<void> = Promise.resolve();
    const first = await sse(
      null,
      1,
      () =>
        (probing = (async () => {
          for (let i = 0; i < 50 && !on; i++) {
            await send(s, a, conv, 'probe');
            await new Promise((r) => setTimeout(r, 200));
          }
        })()),
    );
    on = true;
    await probing;
    expect(first[0].cursor).toEqual(expect.any(String));
    const missed = await send(s, a, conv, 'missed over sse');
    const count = missed.sequence - first[0].sequence;
    const again = await sse(first[0].cursor, count, async () => {});
    expect(again.map((e) => e.sequence)).toEqual(Array.from({ length: count }, (_, i) => first[0].sequence + 1 + i));
    expect(again.at(-1)!.message.content).toBe('missed over sse');
  });
});
