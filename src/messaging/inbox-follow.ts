// What an inbox stream follows on the bus: the viewer's own topic, and the topic of each large conversation they are
// in (events.ts, Audience: a large conversation's events are published on its topic only, not to each member). The
// large ones are read when the inbox opens; later, a copy of an event on the viewer's own topic marked `viaTopic`
// (their join, or the conversation becoming large) starts following one, and their own MEMBER_LEFT stops it.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Follow } from '../realtime/fanout.ts';
import { largeConversations } from '../db/sql/inbox.ts';
import type { ConversationEventPayload } from './events.ts';
import type { EventTopics } from './event-topics.ts';

export interface InboxListener {
  /** An event, from any of the followed topics (a conversation's may come twice: the stream's gate drops repeats). */
  event(event: ConversationEventPayload): void;
  /** The bus was away: read whatever is newer from the log. */
  resync(): void;
  /** A conversation's topic is followed from now on: events of it published before may not have arrived. */
  followedLate(conversationId: string): void;
}

export function followInbox(
  topics: EventTopics,
  prisma: PrismaClient,
  /** LARGE_GROUP_MEMBERS */
  largeFrom: number,
  viewerId: string,
  listener: InboxListener,
): Follow {
  const conversations = new Map<string, Follow>();
  let closed = false;
  // A conversation follow needs no resync of its own: the inbox's resync reads every conversation of the viewer.
  const follow = (cid: string) => {
    const f = topics.conversation.follow(cid, (event) => listener.event(event));
    conversations.set(cid, f);
    return f;
  };
  const steer = (event: ConversationEventPayload) => {
    if (!event.viaTopic || closed) return;
    const cid = event.conversationId;
    if (event.type === 'MEMBER_LEFT' && event.userId === viewerId) {
      conversations.get(cid)?.close();
      conversations.delete(cid);
    } else if (!conversations.has(cid)) {
      follow(cid).ready.then(
        () => closed || listener.followedLate(cid),
        () => {}, // the bus's own failure reaches the inbox through its resync
      );
    }
  };
  const own = topics.inbox.follow(
    viewerId,
    (event) => {
      steer(event);
      listener.event(event);
    },
    () => listener.resync(),
  );
  const ready = own.ready.then(async () => {
    const large = await largeConversations(prisma, viewerId, largeFrom);
    if (closed) return;
    await Promise.all(large.filter((cid) => !conversations.has(cid)).map((cid) => follow(cid).ready));
  });
  return {
    ready,
    close: () => {
      closed = true;
      own.close();
      for (const f of conversations.values()) f.close();
      conversations.clear();
    },
  };
}
