// Message requests: a new DIRECT conversation is a request for the person it was started with
// (ConversationMember.requestedAt) until they accept it. While it is one it is out of their conversation list and
// unread counts (db/sql/conversations.ts hiddenMembership) and listed by messageRequests instead, the two are not
// accepted contacts (accounts/privacy.ts), and its sender may send at most REQUEST_MESSAGE_LIMIT messages
// (admitSend, before every send). Declining takes the recipient out of it (MEMBER_LEFT); requests from people the
// viewer blocks are not listed.
import type { Conversation, PrismaClient } from '../generated/prisma/client.ts';
import { badInput, notFound } from '../errors.ts';
import type { Actor, ConversationService } from './conversations.service.ts';
import { requestStanding } from '../db/sql/requests.ts';
import { LRUCache } from 'lru-cache';
import { decodeCursor, encodeCursor, isStringPair, pageSize, toPage, type Page } from './input.ts';

/** Messages a sender may send in a DIRECT conversation until the other person accepts it (see admitSend). */
export const REQUEST_MESSAGE_LIMIT = 3;

/** The refusal of a send past REQUEST_MESSAGE_LIMIT (admitSend's, and the send statement's under a race). */
export const requestLimitReached = () =>
  badInput(
    `Until they accept your message request you can send at most ${REQUEST_MESSAGE_LIMIT} messages.`,
    'conversationId',
    'REQUEST_LIMIT',
  );
/** Group ids admitSend remembers (a conversation's kind never changes), the least recently sent to forgotten first. */
const KNOWN_GROUPS = 10_000;

/** What declining with `block` needs of blocks (BlockService implements it). */
export interface Blocker {
  block(actor: Actor, userId: string): Promise<void>;
}

export class RequestService {
  /** Conversations admitSend found to be groups, where no send is a message request. */
  private readonly groups = new LRUCache<string, true>({ max: KNOWN_GROUPS });

  constructor(
    private readonly prisma: PrismaClient,
    private readonly conversations: ConversationService,
    private readonly blocks: Blocker,
  ) {}

  /** The viewer's pending requests, newest first (ids; the schema loads the selection). */
  async list(actor: Actor, args: { first?: number | null; after?: string | null }): Promise<Page<{ id: string }>> {
    const limit = pageSize(args.first, 'first');
    const after = decodeCursor('q', args.after, 'after', isStringPair);
    const at = after ? new Date(after[0]) : null;
    if (at && Number.isNaN(at.getTime())) throw badInput('after is not a valid cursor.', 'after');
    const rows = await this.prisma.conversationMember.findMany({
      where: {
        userId: actor.userId,
        requestedAt: { not: null },
        conversation: {
          tenantId: actor.tenantId,
          kind: 'DIRECT',
          // A request from someone the viewer blocks stays out of sight (until they unblock).
          members: { none: { userId: { not: actor.userId }, user: { blockedBy: { some: { blockerId: actor.userId } } } } },
        },
        ...(at && after ? { OR: [{ requestedAt: { lt: at } }, { requestedAt: at, conversationId: { lt: after[1] } }] } : {}),
      },
      orderBy: [{ requestedAt: 'desc' }, { conversationId: 'desc' }],
      take: limit + 1,
      select: { conversationId: true, requestedAt: true },
    });
    const page = toPage(rows, limit, (r) => encodeCursor('q', [r.requestedAt!.toISOString(), r.conversationId]), { hadCursor: !!after });
    return { pageInfo: page.pageInfo, edges: page.edges.map((e) => ({ cursor: e.cursor, node: { id: e.node.conversationId } })) };
  }

  /** Accepts a request: the conversation joins the viewer's list, and the two become accepted contacts. */
  async accept(actor: Actor, conversationId: string): Promise<Conversation> {
    const member = await this.requirePending(actor, conversationId);
    await this.prisma.conversationMember.update({
      where: { conversationId_userId: { conversationId, userId: actor.userId } },
      data: { requestedAt: null },
    });
    return member.conversation;
  }

  /**
   * Declines a request: the viewer leaves the conversation (its sender's side stays, and starting it again gives
   * them the same one: the viewer is not asked again). With `block`, the sender is blocked too.
   */
  async decline(actor: Actor, conversationId: string, block: boolean): Promise<void> {
    await this.requirePending(actor, conversationId);
    const sender = await this.prisma.conversationMember.findFirst({
      where: { conversationId, userId: { not: actor.userId } },
      select: { userId: true },
    });
    if (block && sender) await this.blocks.block(actor, sender.userId);
    await this.conversations.drop(conversationId, actor.userId);
  }

  /**
   * Before a send: a request for the sender themself is accepted by their answering it; a sender whose request the
   * other person has not accepted (or declined) is refused past REQUEST_MESSAGE_LIMIT (BAD_USER_INPUT, reason
   * REQUEST_LIMIT), the same whether or not that person blocks them.
   */
  async admitSend(actor: Actor, conversationId: string): Promise<void> {
    if (this.groups.has(conversationId)) return; // a group is one for good: no statement for its sends
    const standing = await requestStanding(this.prisma, conversationId, actor.userId);
    if (!standing) return;
    if (standing.group) {
      this.groups.set(conversationId, true);
      return;
    }
    if (standing.mine) {
      await this.prisma.conversationMember.updateMany({ where: { conversationId, userId: actor.userId }, data: { requestedAt: null } });
    }
    if (standing.sentUnaccepted !== null && standing.sentUnaccepted >= REQUEST_MESSAGE_LIMIT) throw requestLimitReached();
  }

  /** The viewer's pending request (with its conversation), or NOT_FOUND. */
  private async requirePending(actor: Actor, conversationId: string) {
    const member = await this.prisma.conversationMember.findUnique({
      where: { conversationId_userId: { conversationId, userId: actor.userId } },
      include: { conversation: true },
    });
    if (!member || member.conversation.tenantId !== actor.tenantId || !member.requestedAt) throw notFound('Message request');
    return member;
  }
}
