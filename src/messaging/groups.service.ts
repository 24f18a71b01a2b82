// Managing a group: members' roles, the group's settings (who may post and rename, visibility, what a new member may
// read, its description), public groups anyone of the tenant may find and join, and joining. Who may do what is
// group-permissions.ts; membership changes go through ConversationService.changeMembers, with their events.
import type {
  Conversation,
  ConversationVisibility,
  GroupPolicy,
  HistoryVisibility,
  MemberRole,
  PrismaClient,
} from '../generated/prisma/client.ts';
import { badInput, notFound } from '../errors.ts';
import type { Actor, ConversationService } from './conversations.service.ts';
import type { Tx } from './events.ts';
import { requirePermitted } from './group-permissions.ts';
import { cleanTitle, decodeCursor, encodeCursor, isStringPair, pageSize, toPage } from './input.ts';
import { cleanText } from '../text-rules.ts';

export const MAX_DESCRIPTION = 500;

export interface GroupSettingsChange {
  title?: string | null;
  description?: string | null;
  postPolicy?: GroupPolicy | null;
  editPolicy?: GroupPolicy | null;
  visibility?: ConversationVisibility | null;
  historyVisibility?: HistoryVisibility | null;
  /** Whether @assistant answers in the group. */
  assistantEnabled?: boolean | null;
}

export class GroupService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly conversations: ConversationService,
  ) {}

  /**
   * Sets another member's role; only an owner may. Making someone OWNER makes them a co-owner (an owner who leaves
   * last hands the group on, as before). An owner cannot change their own role: another owner can.
   */
  async setMemberRole(actor: Actor, conversationId: string, userId: string, role: MemberRole): Promise<Conversation> {
    await this.conversations.requireGroupPermission(actor, conversationId, 'setRoles');
    if (userId === actor.userId) throw badInput('Another owner changes your role.', 'userId');
    return this.conversations.changeMembers(conversationId, async (tx, members) => {
      if (!(await members.among([userId])).has(userId)) throw badInput('That user is not a member.', 'userId');
      const { count } = await tx.conversationMember.updateMany({ where: { conversationId, userId, role: { not: role } }, data: { role } });
      return count ? [{ type: 'CONVERSATION_UPDATED', userId: actor.userId }] : [];
    });
  }

  /**
   * Changes the group's settings; a setting left out stays. The title and description follow editPolicy; the
   * policies, the visibility, the history visibility and the assistant's switch are for owners and admins.
   */
  async updateSettings(actor: Actor, conversationId: string, change: GroupSettingsChange): Promise<Conversation> {
    const me = await this.conversations.requireGroupMember(actor, conversationId);
    const data: Partial<Conversation> = {};
    if (change.title != null) data.title = cleanTitle(change.title);
    if (change.description !== undefined) {
      data.description = change.description === null ? null : cleanText(change.description, DESCRIPTION_RULE);
    }
    if ('title' in data || 'description' in data) requirePermitted(me.role, 'rename', me.conversation);
    for (const key of ['postPolicy', 'editPolicy', 'visibility', 'historyVisibility', 'assistantEnabled'] as const) {
      if (change[key] == null) continue;
      requirePermitted(me.role, 'configure', me.conversation);
      Object.assign(data, { [key]: change[key] });
    }
    if (Object.keys(data).length === 0) return me.conversation;
    return this.conversations.changeMembers(conversationId, async (tx) => {
      await tx.conversation.update({ where: { id: conversationId }, data });
      return [{ type: 'CONVERSATION_UPDATED', userId: actor.userId }];
    });
  }

  /**
   * Joins a group as a MEMBER: a PUBLIC one of the actor's tenant, or one an invite link lets in (`invite`). A
   * member already gets the group back unchanged. With historyVisibility FROM_JOIN, the new member reads from their
   * joining on (ConversationMember.visibleFrom).
   */
  async join(actor: Actor, conversationId: string, invite?: { admit: (tx: Tx) => Promise<void> }): Promise<Conversation> {
    const group = await this.prisma.conversation.findFirst({ where: { id: conversationId, tenantId: actor.tenantId, kind: 'GROUP' } });
    if (!group || (!invite && group.visibility !== 'PUBLIC')) throw notFound('Conversation');
    return this.conversations.join(conversationId, actor.userId, invite?.admit);
  }

  /** Public groups of the actor's tenant, by title (containing `search`, any case), then id. Returns ids. */
  async publicGroups(actor: Actor, args: { search?: string | null; first?: number | null; after?: string | null }) {
    const limit = pageSize(args.first, 'first');
    const after = decodeCursor('pg', args.after, 'after', isStringPair);
    const search = args.search?.trim().slice(0, 100) || null;
    const rows = await this.prisma.conversation.findMany({
      where: {
        tenantId: actor.tenantId,
        kind: 'GROUP',
        visibility: 'PUBLIC',
        ...(search ? { title: { contains: search, mode: 'insensitive' } } : {}),
        ...(after ? { OR: [{ title: { gt: after[0] } }, { title: after[0], id: { gt: after[1] } }] } : {}),
      },
      orderBy: [{ title: 'asc' }, { id: 'asc' }],
      take: limit + 1,
      select: { id: true, title: true },
    });
    return toPage(rows, limit, (r) => encodeCursor('pg', [r.title ?? '', r.id]), { hadCursor: after !== null });
  }
}

const DESCRIPTION_RULE = { field: 'description', label: 'A description', max: MAX_DESCRIPTION, multiline: true };
