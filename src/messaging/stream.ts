// conversationEvents: a gap-free, duplicate-free stream of one conversation's events (or of every conversation of
// the viewer). The topic is subscribed FIRST (on Redis: until SUBSCRIBE is acknowledged), then the log is replayed
// after `afterSequence`, then live events run through the same gate: an event at or below the last delivered
// sequence is dropped, one past a jump pulls the missing range from the log. Membership is checked once, when the
// stream starts (by the caller, or here for the inbox); after that the log itself says when it ends: events are
// delivered in sequence order, so the viewer's own MEMBER_LEFT is the last one they get. No per-event SQL, which is
// what lets one event reach a thousand subscribers cheaply.
import { Repeater } from 'graphql-yoga';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { toPayload, type ConversationEventPayload } from './events.ts';

const REPLAY_BATCH = 200;

export interface StreamOptions {
  prisma: PrismaClient;
  pubsub: ParleyPubSub;
  viewerId: string;
  /** One conversation (the caller has checked membership), or null for the viewer's inbox. */
  conversationId: string | null;
  /** Replay stored events after this sequence first (one conversation only). */
  afterSequence: number | null;
  /** The conversation's lastSequence when the caller checked membership (start point without afterSequence). */
  startSequence: number;
}

export function conversationStream(o: StreamOptions): AsyncIterable<ConversationEventPayload> {
  const { prisma, viewerId } = o;
  return new Repeater<ConversationEventPayload>(async (push, stop) => {
    const source = o.conversationId
      ? o.pubsub.subscribe('conversation:event', o.conversationId)
      : o.pubsub.subscribe('user:event', viewerId);
    const iterator = source[Symbol.asyncIterator]();
    const last = new Map<string, number>(); // conversation -> last delivered sequence
    const gone = new Set<string>(); // conversations the viewer was removed from (inbox)
    let chain: Promise<unknown> = Promise.resolve();
    const fail = (err: unknown) => stop(err);

    const isMember = async (conversationId: string) =>
      (await prisma.conversationMember.count({ where: { conversationId, userId: viewerId } })) > 0;

    const logRange = async (conversationId: string, after: number, upTo: number) =>
      (
        await prisma.conversationEvent.findMany({
          where: { conversationId, sequence: { gt: after, lte: upTo } },
          orderBy: { sequence: 'asc' },
        })
      ).map(toPayload);

    /**
     * Delivers events (consecutive, starting right after `last`). Events up to `trustedUpTo` are ones the viewer
     * could see when the stream started (a replay); after it, the viewer's own MEMBER_LEFT ends what they see.
     */
    const deliver = async (conversationId: string, events: ConversationEventPayload[], trustedUpTo = 0) => {
      for (const event of events) {
        await push(event);
        last.set(conversationId, event.sequence);
        if (event.sequence > trustedUpTo && event.type === 'MEMBER_LEFT' && event.userId === viewerId) {
          gone.add(conversationId);
          if (o.conversationId) stop();
          return;
        }
      }
    };

    const handle = async (event: ConversationEventPayload) => {
      const cid = event.conversationId;
      let seen = last.get(cid);
      if (seen === undefined || gone.has(cid)) {
        // A conversation the inbox has not followed yet (or was removed from): start at the viewer's latest join.
        if (!(await isMember(cid))) return;
        const joined = await prisma.conversationEvent.findFirst({
          where: { conversationId: cid, type: 'MEMBER_JOINED', userId: viewerId },
          orderBy: { sequence: 'desc' },
          select: { sequence: true },
        });
        if (!joined) return;
        seen = joined.sequence - 1;
        gone.delete(cid);
        last.set(cid, seen);
      }
      if (event.sequence <= seen) return;
      const events = event.sequence === seen + 1 ? [event] : await logRange(cid, seen, event.sequence);
      await deliver(cid, events);
    };

    // Subscribe before reading the log: whatever commits from here on is either in the replay or in the buffer.
    void (async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        chain = chain.then(() => handle(next.value)).catch(fail);
      }
    })().catch(fail);

    chain = chain
      .then(async () => {
        if (o.conversationId) await o.pubsub.ready?.('conversation:event', o.conversationId);
        else await o.pubsub.ready?.('user:event', viewerId);
        if (o.conversationId) {
          let after = o.afterSequence ?? o.startSequence;
          last.set(o.conversationId, after);
          if (o.afterSequence === null) return;
          for (;;) {
            const batch = await logRange(o.conversationId, after, after + REPLAY_BATCH);
            if (!batch.length) break;
            await deliver(o.conversationId, batch, o.startSequence);
            if (gone.has(o.conversationId)) return;
            after = batch.at(-1)!.sequence;
          }
        } else {
          const memberships = await prisma.conversationMember.findMany({
            where: { userId: viewerId },
            select: { conversationId: true, conversation: { select: { lastSequence: true } } },
          });
          for (const m of memberships) last.set(m.conversationId, m.conversation.lastSequence);
        }
      })
      .catch(fail);

    await stop;
    await iterator.return?.();
  });
}
