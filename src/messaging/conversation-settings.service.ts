// Each member's own view of their conversations: muted, archived, pinned to the top of their list, and the list
// itself in that order (pinned first, then by activity; archived ones apart). Nobody else sees these settings.
import type { ConversationMember, PrismaClient } from '../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import { conversationList, type ListCursor } from '../db/sql/conversations.ts';
import type { ConversationService } from './conversations.service.ts';
import type { ParleyPubSub, SettingsChangedEvent } from '../realtime/pubsub.ts';
import { KeyedFanout } from '../realtime/fanout.ts';
import type { Follow } from '../realtime/delivery.ts';
import { decodeCursor, encodeCursor, pageSize, toPage } from './input.ts';

type Actor = { tenantId: string; userId: string };

/** Conversations a member may pin to the top of their list. */
export const MAX_PINNED_CONVERSATIONS = 20;

export interface ViewerSettings {
  muted: boolean;
  archived: boolean;
  pinned: boolean;
}

/** A conversation counts as archived while no message came after its archiving, or while it is muted. */
export function settingsOf(member: Pick<ConversationMember, 'muted' | 'archivedAt' | 'pinnedAt'>, activeAt: Date): ViewerSettings {
  const archived = member.archivedAt !== null && (member.muted || activeAt <= member.archivedAt);
  return { muted: member.muted, archived, pinned: member.pinnedAt !== null };
}

/** A list cursor: [time, id] by activity (as before pins existed), or [time, id, "pinned"]. */
const isListCursor = (v: unknown): v is [string, string] | [string, string, 'pinned'] =>
  Array.isArray(v) &&
  (v.length === 2 || (v.length === 3 && v[2] === 'pinned')) &&
  typeof v[0] === 'string' &&
  typeof v[1] === 'string' &&
  !Number.isNaN(new Date(v[0]).getTime());

export class ConversationSettingsService {
  /** Each user's settings changes, for their conversationSettingsChanged streams (one bus listener for all). */
  private readonly changes: KeyedFanout<'settings:changed'>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly conversations: ConversationService,
    private readonly pubsub: ParleyPubSub,
    onError: (err: unknown) => void,
  ) {
    this.changes = new KeyedFanout(pubsub, 'settings:changed', (e) => e.userId, onError);
  }

  /** Calls `listener` for every change the user makes to their settings, on any device and instance, until stopped. */
  follow(userId: string, listener: (event: SettingsChangedEvent) => void): Follow {
    return this.changes.follow(userId, listener);
  }

  /** Ends the bus listener (app.stop()). */
  close() {
    this.changes.close();
  }

  /** A page of the actor's conversations: pinned first, then most recent activity first; archived ones or the rest. */
  async list(actor: Actor, args: { first?: number | null; after?: string | null; archived?: boolean | null }) {
    const limit = pageSize(args.first, 'first');
    const raw = decodeCursor('c', args.after, 'after', isListCursor);
    const after: ListCursor | null = raw ? { at: new Date(raw[0]), id: raw[1], pinned: raw.length === 3 } : null;
    const rows = await conversationList(this.prisma, {
      tenantId: actor.tenantId,
      userId: actor.userId,
      archived: args.archived ?? false,
      after,
      take: limit + 1,
    });
    const cursorOf = (r: (typeof rows)[number]) =>
      encodeCursor('c', r.pinnedAt ? [r.pinnedAt.toISOString(), r.id, 'pinned'] : [r.activeAt.toISOString(), r.id]);
    return toPage(rows, limit, cursorOf, { hadCursor: !!after });
  }

  /** Changes the actor's own settings of a conversation they are in; a setting left out (null) stays as it is. */
  async update(
    actor: Actor,
    conversationId: string,
    change: { muted?: boolean | null; archived?: boolean | null; pinned?: boolean | null },
  ) {
    const member = await this.conversations.requireMember(actor, conversationId);
    const now = new Date();
    const data: Partial<Pick<ConversationMember, 'muted' | 'archivedAt' | 'pinnedAt'>> = {};
    if (change.muted != null) data.muted = change.muted;
    if (change.archived != null) data.archivedAt = change.archived ? now : null;
    if (change.pinned != null && change.pinned !== (member.pinnedAt !== null)) {
      if (change.pinned) {
        const pinned = await this.prisma.conversationMember.count({ where: { userId: actor.userId, pinnedAt: { not: null } } });
        if (pinned >= MAX_PINNED_CONVERSATIONS)
          throw badInput(`At most ${MAX_PINNED_CONVERSATIONS} conversations can be pinned; unpin one first.`, 'pinned', 'PIN_LIMIT');
      }
      data.pinnedAt = change.pinned ? now : null;
    }
    if (Object.keys(data).length) {
      await this.prisma.conversationMember.update({ where: { conversationId_userId: { conversationId, userId: actor.userId } }, data });
      this.pubsub.publish('settings:changed', { tenantId: actor.tenantId, userId: actor.userId, conversationId });
    }
    return member.conversation;
  }

  /** The user's settings for each of these conversations they are in (one statement for a whole page). */
  async forConversations(userId: string, conversationIds: string[]): Promise<Map<string, ConversationMember>> {
    const rows = await this.prisma.conversationMember.findMany({ where: { userId, conversationId: { in: conversationIds } } });
    return new Map(rows.map((r) => [r.conversationId, r]));
  }
}
