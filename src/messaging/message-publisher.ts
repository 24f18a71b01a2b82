// Telling who hears of a conversation's committed events: the conversation's topic, and each member's own topic (the
// inbox stream) while the conversation is small; a large one reaches inboxes through its own topic (see Audience in
// events.ts). The members of the conversations this instance wrote to lately are remembered between events.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { LRUCache } from 'lru-cache';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { publishEvents, type Audience, type ConversationEventPayload } from './events.ts';

/** Member ids remembered, over the conversations most recently written to (see audience). */
const MAX_KNOWN_MEMBERS = 100_000;

/** A conversation's audience as of a sequence: its member ids, or null for a large conversation. */
interface Known {
  sequence: number;
  ids: string[] | null;
}

export class MessagePublisher {
  /**
   * @param largeAbove conversations with more members than this are large (LARGE_GROUP_MEMBERS): their events reach
   *   the inboxes of connected members through the conversation's topic.
   */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: ParleyPubSub,
    private readonly largeAbove: number,
  ) {}

  /**
   * The audiences of conversations this instance wrote to lately, as of a sequence (see audience): at most
   * MAX_KNOWN_MEMBERS ids in all, the conversation least recently written to forgotten first.
   */
  private readonly known = new LRUCache<string, Known>({
    maxSize: MAX_KNOWN_MEMBERS,
    sizeCalculation: (k) => Math.max(1, k.ids?.length ?? 1),
  });

  /** Whether a conversation of `count` members is large. */
  isLarge(count: number): boolean {
    return count > this.largeAbove;
  }

  /**
   * Who hears of the conversation's events `first`..`last` (none of them a membership change) on their own topic.
   * Every membership change takes a sequence of its own, so the audience read after event `first - 1` is still the
   * audience at `last`: a conversation written to again and again is read once, not per message. Any other gap (an
   * event written elsewhere, by this instance or another) reads it again, after the commit, as before: at most one
   * more member than makes a conversation large. A deleted account's memberships go without an event; publishing to
   * its topic is harmless.
   */
  private async audience(conversationId: string, first: number, last: number): Promise<Audience> {
    let known = this.known.get(conversationId); // (now the most recently used)
    if (known?.sequence === first - 1) known.sequence = last;
    else {
      known = { sequence: last, ids: await this.memberIds(conversationId) };
      this.known.set(conversationId, known);
    }
    return known.ids ? { members: known.ids } : { large: true };
  }

  /** The conversation's member ids, or null when it is large. */
  private async memberIds(conversationId: string): Promise<string[] | null> {
    const rows = await this.prisma.conversationMember.findMany({
      where: { conversationId },
      select: { userId: true },
      take: this.largeAbove + 1,
    });
    return this.isLarge(rows.length) ? null : rows.map((r) => r.userId);
  }

  /**
   * Publishes a MESSAGE_DELTA (which takes no sequence) to the audience remembered for its conversation, as it stands;
   * read from the members, and not remembered, when this instance has none.
   */
  async publishDelta(event: ConversationEventPayload): Promise<void> {
    const ids = this.known.has(event.conversationId)
      ? this.known.get(event.conversationId)!.ids
      : await this.memberIds(event.conversationId);
    publishEvents(this.pubsub, [event], ids ? { members: ids } : { large: true });
  }

  /** Publishes committed events (consecutive, of one conversation, no membership change) to whoever hears of them. */
  async publish(events: ConversationEventPayload[]): Promise<void> {
    publishEvents(this.pubsub, events, await this.audience(events[0].conversationId, events[0].sequence, events.at(-1)!.sequence));
  }

  /**
   * Publishes a committed change of a conversation's members (or roles, or settings) that took it from `before` to
   * `after` members. `alsoNotify` are users who were members before it (those it removed). A conversation that
   * becomes large announces it to every member, once; a large one tells only the members whose own membership
   * changed (the rest follow its topic).
   */
  async publishChange(events: ConversationEventPayload[], before: number, after: number, alsoNotify: string[] = []): Promise<void> {
    if (!events.length) return;
    const conversationId = events[0].conversationId;
    const last = events.at(-1)!.sequence;
    if (this.isLarge(after) && this.isLarge(before)) {
      this.known.set(conversationId, { sequence: last, ids: null });
      return publishEvents(this.pubsub, events, { large: true });
    }
    const rows = await this.prisma.conversationMember.findMany({ where: { conversationId }, select: { userId: true } });
    const members = rows.map((r) => r.userId);
    if (this.isLarge(after)) {
      this.known.set(conversationId, { sequence: last, ids: null });
      return publishEvents(this.pubsub, events, { large: true, announceTo: [...members, ...alsoNotify] });
    }
    this.known.set(conversationId, { sequence: last, ids: members });
    publishEvents(this.pubsub, events, { members: [...members, ...alsoNotify] });
  }
}
