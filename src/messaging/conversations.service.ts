// Conversations and membership: DIRECT (one per pair, found by directKey) and GROUP (title, OWNER/MEMBER roles).
// Membership decides everything; a conversation the viewer is not in is NOT_FOUND (its existence is not revealed).
import type { Conversation, ConversationMember, PrismaClient } from '../generated/prisma/client.ts';
import { badInput, forbidden, isUniqueViolation, notFound } from '../errors.ts';
import { appendEvents, type EventDraft, type Tx } from './events.ts';
import { changeGroup, type GroupChange } from './group-changes.ts';
import type { MessagePublisher } from './message-publisher.ts';
import { invite, sortAdds } from './group-adds.ts';
import { cleanTitle, MAX_GROUP_MEMBERS, MAX_ADDED_AT_ONCE } from './input.ts';
import { outranks, requirePermitted, type GroupAction } from './group-permissions.ts';
import { lastMessageIds, unreadCounts } from '../db/sql/conversations.ts';
import { NO_TEXT_FILTER, type TextFilter } from '../text-rules.ts';

export interface Actor {
  tenantId: string;
  userId: string;
}

export const directKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`);

const tooMany = (field: string) => badInput(`A group has at most ${MAX_GROUP_MEMBERS} members.`, field);

export class ConversationService {
  constructor(
    private readonly prisma: PrismaClient,
    /** Tells members of committed events (message-publisher.ts). */
    private readonly publisher: MessagePublisher,
    /** The tenant's content filter, applied to group titles. */
    private readonly filter: TextFilter = NO_TEXT_FILTER,
  ) {}

  /** The viewer's membership (with the conversation), or NOT_FOUND. */
  async requireMember(actor: Actor, conversationId: string): Promise<ConversationMember & { conversation: Conversation }> {
    const member = await this.prisma.conversationMember.findUnique({
      where: { conversationId_userId: { conversationId, userId: actor.userId } },
      include: { conversation: true },
    });
    if (!member || member.conversation.tenantId !== actor.tenantId) throw notFound('Conversation');
    return member;
  }

  /** The actor's membership of a group (NOT_FOUND for a stranger, BAD_USER_INPUT for a DIRECT conversation). */
  async requireGroupMember(actor: Actor, conversationId: string) {
    const member = await this.requireMember(actor, conversationId);
    if (member.conversation.kind !== 'GROUP') throw badInput('Only a group has members to manage, roles and settings.', 'conversationId');
    return member;
  }

  /** The actor's membership of a group in which their role allows `action` (group-permissions.ts), or why not. */
  async requireGroupPermission(actor: Actor, conversationId: string, action: GroupAction) {
    const member = await this.requireGroupMember(actor, conversationId);
    requirePermitted(member.role, action, member.conversation);
    return member;
  }

  /** Users of the actor's tenant with these ids; any unknown id is BAD_USER_INPUT. */
  private async requireUsers(actor: Actor, ids: string[], field: string): Promise<string[]> {
    const unique = [...new Set(ids)];
    const found = await this.prisma.user.findMany({ where: { tenantId: actor.tenantId, id: { in: unique } }, select: { id: true } });
    if (found.length !== unique.length) throw badInput('Unknown user id.', field);
    return unique;
  }

  async conversationWith(actor: Actor, userId: string): Promise<Conversation | null> {
    return this.prisma.conversation.findUnique({
      where: { tenantId_directKey: { tenantId: actor.tenantId, directKey: directKey(actor.userId, userId) } },
    });
  }

  /**
   * The DIRECT conversation with `userId`, created on first use (a concurrent creation wins the unique key). A new one
   * is a message request for `userId` (requestedAt): two people become accepted contacts only by accepting a DIRECT
   * conversation (accounts/privacy.ts). Starting one the actor had declined (and left) brings them back into it, and
   * starting one that is a request for the actor accepts it: both are the actor's own choice to talk.
   */
  async startDirect(actor: Actor, userId: string): Promise<Conversation> {
    if (userId === actor.userId) throw badInput('A direct conversation needs another person.', 'userId');
    const existing = await this.conversationWith(actor, userId);
    if (existing) return this.reopenDirect(actor, existing);
    await this.requireUsers(actor, [userId], 'userId');
    const now = new Date();
    try {
      const { conversation, events } = await this.prisma.$transaction(async (tx) => {
        const conversation = await tx.conversation.create({
          data: {
            tenantId: actor.tenantId,
            kind: 'DIRECT',
            directKey: directKey(actor.userId, userId),
            lastMessageAt: now,
            members: { create: [{ userId: actor.userId }, { userId, requestedAt: now }] },
          },
        });
        const events = await appendEvents(tx, conversation.id, [
          { type: 'MEMBER_JOINED', userId: actor.userId },
          { type: 'MEMBER_JOINED', userId },
        ]);
        return { conversation, events };
      });
      await this.publisher.publishChange(events, 0, 2);
      return conversation;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const raced = await this.conversationWith(actor, userId);
      if (!raced) throw err;
      return raced;
    }
  }

  /** An existing DIRECT conversation the actor starts again (see startDirect). */
  private async reopenDirect(actor: Actor, conversation: Conversation): Promise<Conversation> {
    const key = { conversationId_userId: { conversationId: conversation.id, userId: actor.userId } };
    const me = await this.prisma.conversationMember.findUnique({ where: key });
    if (me?.requestedAt) await this.prisma.conversationMember.update({ where: key, data: { requestedAt: null } });
    if (me) return conversation;
    return this.join(conversation.id, actor.userId);
  }

  /**
   * Makes the user a member (a DIRECT conversation they had left by declining it, a group they were invited to, one
   * they join as a public group or by an invite link); a member already stays as they are. `admit` runs first in the
   * same transaction (an invite link's use: a join that fails takes none). In a group whose history shows from
   * joining on, the new member reads from here (visibleFrom).
   */
  async join(conversationId: string, userId: string, admit?: (tx: Tx) => Promise<void>): Promise<Conversation> {
    return this.changeMembers(conversationId, async (tx, members) => {
      if ((await members.among([userId])).has(userId)) return [];
      await admit?.(tx);
      if (members.count + 1 > MAX_GROUP_MEMBERS) throw tooMany('conversationId');
      const now = await tx.conversation.findUniqueOrThrow({
        where: { id: conversationId },
        select: { lastSequence: true, historyVisibility: true },
      });
      const visibleFrom = now.historyVisibility === 'FROM_JOIN' ? now.lastSequence + 1 : 0;
      await tx.conversationMember.create({ data: { conversationId, userId, visibleFrom } });
      return [{ type: 'MEMBER_JOINED', userId }];
    });
  }

  /** Takes the user out of a conversation (a DIRECT one whose request they declined), with its MEMBER_LEFT event. */
  async drop(conversationId: string, userId: string): Promise<void> {
    await this.changeMembers(
      conversationId,
      async (tx, members) => {
        if (!(await members.among([userId])).has(userId)) return [];
        await tx.conversationMember.delete({ where: { conversationId_userId: { conversationId, userId } } });
        return [{ type: 'MEMBER_LEFT', userId }];
      },
      [userId],
    );
  }

  /**
   * A new group. People whose privacy settings do not let the actor add them are invited instead, and people who
   * block the actor are left out, silently (see group-adds.ts).
   */
  async createGroup(actor: Actor, title: string, memberIds: string[]): Promise<Conversation> {
    if (memberIds.length > MAX_ADDED_AT_ONCE) throw badInput(`Add at most ${MAX_ADDED_AT_ONCE} people at once.`, 'memberIds');
    const clean = await this.filter.apply(actor, cleanTitle(title), 'title');
    const requested = (await this.requireUsers(actor, memberIds, 'memberIds')).filter((id) => id !== actor.userId);
    const { add: others, invite: invited } = await sortAdds(this.prisma, actor, requested);
    const { conversation, events } = await this.prisma.$transaction(async (tx) => {
      const conversation = await tx.conversation.create({
        data: {
          tenantId: actor.tenantId,
          kind: 'GROUP',
          title: clean,
          lastMessageAt: new Date(),
          members: { create: [{ userId: actor.userId, role: 'OWNER' }, ...others.map((userId) => ({ userId }))] },
        },
      });
      await invite(tx, conversation.id, actor.userId, invited);
      const drafts: EventDraft[] = [actor.userId, ...others].map((userId) => ({ type: 'MEMBER_JOINED', userId }));
      return { conversation, events: await appendEvents(tx, conversation.id, drafts) };
    });
    await this.publisher.publishChange(events, 0, others.length + 1);
    return conversation;
  }

  /** Adds people to a group; as in createGroup, a refused add is an invitation and a blocker is left out. */
  async addMembers(actor: Actor, conversationId: string, userIds: string[]): Promise<Conversation> {
    await this.requireGroupPermission(actor, conversationId, 'addMembers');
    if (userIds.length > MAX_ADDED_AT_ONCE) throw badInput(`Add at most ${MAX_ADDED_AT_ONCE} people at once.`, 'userIds');
    const ids = await this.requireUsers(actor, userIds, 'userIds');
    const sorted = await sortAdds(this.prisma, actor, ids);
    return this.changeMembers(conversationId, async (tx, members) => {
      const already = await members.among(ids);
      const added = sorted.add.filter((id) => !already.has(id));
      if (members.count + added.length > MAX_GROUP_MEMBERS) throw tooMany('userIds');
      await invite(
        tx,
        conversationId,
        actor.userId,
        sorted.invite.filter((id) => !already.has(id)),
      );
      await tx.conversationMember.createMany({ data: added.map((userId) => ({ conversationId, userId })) });
      return added.map((userId) => ({ type: 'MEMBER_JOINED' as const, userId }));
    });
  }

  async removeMember(actor: Actor, conversationId: string, userId: string): Promise<Conversation> {
    if (userId === actor.userId) return this.leave(actor, conversationId);
    const me = await this.requireGroupPermission(actor, conversationId, 'removeMembers');
    return this.changeMembers(
      conversationId,
      async (tx) => {
        const them = await tx.conversationMember.findUnique({ where: { conversationId_userId: { conversationId, userId } } });
        if (!them) throw badInput('That user is not a member.', 'userId');
        // Owners remove admins and members, admins remove members.
        if (!outranks(me.role, them.role)) throw forbidden('Only someone of a higher role can remove this member.');
        await tx.conversationMember.delete({ where: { conversationId_userId: { conversationId, userId } } });
        return [{ type: 'MEMBER_LEFT', userId }];
      },
      [userId],
    );
  }

  /** Leaves a group; when the last owner leaves, the longest-standing member becomes owner. */
  async leave(actor: Actor, conversationId: string): Promise<Conversation> {
    const me = await this.requireMember(actor, conversationId);
    if (me.conversation.kind !== 'GROUP') throw badInput('A direct conversation cannot be left.', 'conversationId');
    return this.changeMembers(
      conversationId,
      async (tx) => {
        await tx.conversationMember.delete({ where: { conversationId_userId: { conversationId, userId: actor.userId } } });
        const owners = await tx.conversationMember.count({ where: { conversationId, role: 'OWNER' } });
        if (owners === 0) {
          const heir = await tx.conversationMember.findFirst({
            where: { conversationId },
            orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }],
          });
          if (heir)
            await tx.conversationMember.update({
              where: { conversationId_userId: { conversationId, userId: heir.userId } },
              data: { role: 'OWNER' },
            });
        }
        return [{ type: 'MEMBER_LEFT', userId: actor.userId }];
      },
      [actor.userId],
    );
  }

  async rename(actor: Actor, conversationId: string, title: string): Promise<Conversation> {
    const me = await this.requireMember(actor, conversationId);
    if (me.conversation.kind !== 'GROUP') throw badInput('A direct conversation has no title to change.', 'conversationId');
    requirePermitted(me.role, 'rename', me.conversation);
    const clean = await this.filter.apply({ ...actor, conversationId }, cleanTitle(title), 'title');
    return this.changeMembers(conversationId, async (tx) => {
      await tx.conversation.update({ where: { id: conversationId }, data: { title: clean } });
      return [{ type: 'CONVERSATION_UPDATED', userId: actor.userId }];
    });
  }

  /** Runs a change of the group with its events, then tells its members (changeGroup in group-changes.ts). */
  changeMembers(conversationId: string, change: GroupChange, alsoNotify: string[] = []): Promise<Conversation> {
    return changeGroup(this.prisma, this.publisher, conversationId, change, alsoNotify);
  }

  /** Unread messages per conversation for the viewer: one grouped query for a whole page. */
  async unreadCounts(userId: string, conversationIds: string[]): Promise<Map<string, number>> {
    if (!conversationIds.length) return new Map();
    return unreadCounts(this.prisma, userId, conversationIds);
  }

  /** The latest message's id per conversation (of those with any): one query for a whole page. */
  lastMessageIds(conversationIds: string[]): Promise<Map<string, string>> {
    return lastMessageIds(this.prisma, conversationIds);
  }
}
