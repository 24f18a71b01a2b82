// The conversation stream itself, driven through the real server's database and event bus: a consumer that stops
// reading holds at most `maxQueued` events in memory and still gets every event, in order, once it reads again.
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import { conversationStream } from '../src/messaging/conversation-stream.ts';
import { openInbox } from '../src/messaging/inbox-subscription.ts';
import { CreateGroup, Send, StartDirect } from './messaging-ops.ts';

describe('conversation stream with a slow consumer', () => {
  const server = useServer();

  for (const scope of ['conversation', 'inbox'] as const) {
    it(`keeps at most maxQueued events for a stream (${scope}) that is not read, then reads the rest back from the log`, async () => {
      const s = server();
      const [a, b] = [await s.user(), await s.user()];
      await makeContacts(s, a, b); // accepted: more messages than a message request allows
      const conv = (await s.ok(StartDirect, { userId: b.id }, { token: a.token })).startDirectConversation;
      const services = s.services();
      const common = { prisma: services.prisma, topics: services.eventTopics, viewerId: b.id, maxQueued: 3 };
      const stream =
        scope === 'conversation'
          ? conversationStream({ ...common, conversationId: conv.id, afterSequence: null, startSequence: conv.lastSequence })
          : await openInbox({ ...common, secret: s.config.authSecret, tenantId: 'default', afterCursor: null, withCursors: true });
      // The stream is live once its start task ran (over Redis: once SUBSCRIBE is acknowledged, before it reads its
      // starting point); a message committed before that is history to it. So: probe until an event arrives, then
      // read up to the last probe sent, which may have overtaken a late one.
      const first = stream.next();
      const probes: { id: string; sequence: number }[] = [];
      for (let live = false; !live && probes.length < 50;) {
        probes.push((await s.ok(Send, { input: { conversationId: conv.id, content: 'probe' } }, { token: a.token })).sendMessage);
        live = await Promise.race([first.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
      }
      const lastProbe = probes.at(-1)!;
      let seen = (await first).value!;
      expect(probes.map((p) => p.id)).toContain(seen.messageId);
      while (seen.sequence < lastProbe.sequence) seen = (await stream.next()).value!;
      expect(seen).toMatchObject({ sequence: lastProbe.sequence, messageId: lastProbe.id });
      const sent = [];
      for (let i = 0; i < 12; i++)
        sent.push((await s.ok(Send, { input: { conversationId: conv.id, content: `m${i}` } }, { token: a.token })).sendMessage);
      // In memory, a send publishes before it answers, so all 12 have reached the stream by now; over Redis some
      // may still be on the way, but the queue never holds more than 3.
      if (process.env.TEST_REDIS_URL) expect(stream.queued()).toBeLessThanOrEqual(3);
      else expect(stream.queued()).toBe(3);
      const got = [];
      for (let i = 0; i < sent.length; i++) got.push((await stream.next()).value!);
      expect(got.map((e) => e.sequence)).toEqual(sent.map((m) => m.sequence));
      expect(got.map((e) => e.messageId)).toEqual(sent.map((m) => m.id));
      expect(stream.queued()).toBe(0);
      // Live again afterwards.
      const next = stream.next();
      const after = (await s.ok(Send, { input: { conversationId: conv.id, content: 'after' } }, { token: a.token })).sendMessage;
      expect((await next).value?.sequence).toBe(after.sequence);
      await stream.return!();
      expect(await stream.next()).toEqual({ value: undefined, done: true });
    });
  }

  it('shares one bus subscription between every stream following a conversation', async () => {
    const s = server();
    const [owner, m] = [await s.user(), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'Shared', memberIds: [m.id] }, { token: owner.token })).createGroupConversation.id;
    const services = s.services();
    const { lastSequence } = await services.prisma.conversation.findUniqueOrThrow({ where: { id: group } });
    const before = services.eventTopics.followed();
    const streams = Array.from({ length: 5 }, () =>
      conversationStream({
        prisma: services.prisma,
        topics: services.eventTopics,
        viewerId: m.id,
        conversationId: group,
        afterSequence: null,
        startSequence: lastSequence,
      }),
    );
    expect(services.eventTopics.followed()).toBe(before + 1);
    const pending = streams.map((st) => st.next());
    const sent = (await s.ok(Send, { input: { conversationId: group, content: 'to all' } }, { token: owner.token })).sendMessage;
    for (const p of pending) expect((await p).value).toMatchObject({ sequence: sent.sequence, messageId: sent.id });
    for (const st of streams) await st.return!();
    expect(services.eventTopics.followed()).toBe(before);
  });
});
