// What an inbox stream follows on the bus: the viewer's own topic, and the topic of each large conversation they are
// in (events.ts, Audience: a large conversation's events are published on its topic only, not to each member). The
// large ones are read when the inbox opens and again after the bus was away; in between, a copy of an event on the
// viewer's own topic marked `viaTopic` (their join, or the conversation growing large) starts following one, and
// their own MEMBER_LEFT so marked stops it.
//
// An inbox follows conversations of more than half LARGE_GROUP_MEMBERS: a group that shrinks without an event (an
// account deleted) may still be published as large by an instance that remembers it so, and its members' inboxes
// must still hear of it. Between half and the line a member hears of an event twice; the stream's gate drops the
// second copy.
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
  largeAbove: number,
  viewerId: string,
  listener: InboxListener,
): Follow {
  const conversations = new Map<string, Follow>();
  /** Per conversation, the sequence of the last marked event that steered: an older one arriving late is ignored. */
  const steered = new Map<string, number>();
  let closed = false;
  // Conversation follows need no resync of their own: the inbox's resync reads every conversation of the viewer.
  const follow = (cid: string) => {
    const f = topics.conversation.follow(cid, (event) => listener.event(event));
    conversations.set(cid, f);
    return f;
  };
  const followLate = (cid: string) =>
    follow(cid).ready.then(
      () => closed || listener.followedLate(cid),
      () => {}, // the bus's own failure reaches the inbox through its resync
    );
  const steer = (event: ConversationEventPayload) => {
    const cid = event.conversationId;
    if (!event.viaTopic || closed || event.sequence <= (steered.get(cid) ?? -1)) return;
    steered.set(cid, event.sequence);
    if (event.type === 'MEMBER_LEFT' && event.userId === viewerId) {
      conversations.get(cid)?.close();
      conversations.delete(cid);
    } else if (!conversations.has(cid)) void followLate(cid);
  };
  const large = () => largeConversations(prisma, viewerId, Math.floor(largeAbove / 2));
  // After an outage marked copies may have been lost: follow what the database says, and read back what was missed.
  const refollow = async () => {
    for (const cid of await large()) if (!closed && !conversations.has(cid)) void followLate(cid);
  };
  const own = topics.inbox.follow(
    viewerId,
    (event) => {
      steer(event);
      listener.event(event);
    },
    () => {
      listener.resync();
      refollow().catch(() => {}); // the database down: the inbox's own resync fails and ends the stream
    },
  );
  const ready = own.ready.then(async () => {
    const ids = await large();
    if (closed) return;
    await Promise.all(ids.filter((cid) => !conversations.has(cid)).map((cid) => follow(cid).ready));
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
