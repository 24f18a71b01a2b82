// Telling who hears of a conversation's committed events: the conversation's topic and each member's own topic (the
// inbox stream), with the members of the conversations this instance wrote to lately remembered between events.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { LRUCache } from 'lru-cache';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { publishEvents, type ConversationEventPayload } from './events.ts';

/** Member ids remembered, over the conversations most recently written to (see audience). */
const MAX_KNOWN_MEMBERS = 100_000;

export class MessagePublisher {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: ParleyPubSub,
  ) {}

  /**
   * The members of conversations this instance wrote to lately, as of a sequence (see audience): at most
   * MAX_KNOWN_MEMBERS ids in all, the conversation least recently written to forgotten first.
   */
  private readonly members = new LRUCache<string, { sequence: number; ids: string[] }>({
    maxSize: MAX_KNOWN_MEMBERS,
    sizeCalculation: (known) => Math.max(1, known.ids.length),
  });

  /**
   * Who hears of the conversation's events `first`..`last` (none of them a membership change) on their own topic,
   * the inbox stream. Every membership change takes a sequence of its own, so the members read after event
   * `first - 1` are still the members at `last`: a conversation written to again and again is read once, not per
   * message. Any other gap (an event written elsewhere, by this instance or another) reads them again, after the
   * commit, as before. A deleted account's memberships go without an event; publishing to its topic is harmless.
   */
  private async audience(conversationId: string, first: number, last: number): Promise<string[]> {
    const known = this.members.get(conversationId); // (now the most recently used)
    if (known?.sequence === first - 1) {
      known.sequence = last;
      return known.ids;
    }
    const rows = await this.prisma.conversationMember.findMany({ where: { conversationId }, select: { userId: true } });
    const ids = rows.map((r) => r.userId);
    this.members.set(conversationId, { sequence: last, ids });
    return ids;
  }

  /** Publishes committed events (consecutive, of one conversation) to the conversation and its members. */
  async publish(events: ConversationEventPayload[]): Promise<void> {
    publishEvents(this.pubsub, events, await this.audience(events[0].conversationId, events[0].sequence, events.at(-1)!.sequence));
  }
}
