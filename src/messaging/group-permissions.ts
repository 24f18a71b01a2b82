// Who may do what in a group: one table, read by every service that changes a group. The README's permission table
// is this one in words. DIRECT conversations have no roles: their two members may do what members may.
import type { Conversation, MemberRole } from '../generated/prisma/client.ts';
import { forbidden } from '../errors.ts';

export type GroupAction =
  /** Change the title and description (editPolicy: admins by default, or everyone). */
  | 'rename'
  /** Change who may post or edit, the visibility, the history visibility. */
  | 'configure'
  | 'addMembers'
  /** Remove a member whose role is below one's own. */
  | 'removeMembers'
  | 'deleteOthersMessages'
  | 'pin'
  | 'setRoles'
  | 'manageInvites'
  /** Send (postPolicy: everyone by default, or admins: an announcement group). */
  | 'post';

type Policy = Pick<Conversation, 'kind' | 'postPolicy' | 'editPolicy'>;

const RANK: Record<MemberRole, number> = { MEMBER: 0, ADMIN: 1, OWNER: 2 };

/** The lowest role that may take `action` in `conversation`. */
function lowestRole(action: GroupAction, conversation: Policy): MemberRole {
  switch (action) {
    case 'rename':
      return conversation.editPolicy === 'EVERYONE' ? 'MEMBER' : 'ADMIN';
    case 'post':
      return conversation.postPolicy === 'EVERYONE' ? 'MEMBER' : 'ADMIN';
    case 'pin':
      return 'MEMBER';
    case 'setRoles':
      return 'OWNER';
    case 'configure':
    case 'addMembers':
    case 'removeMembers':
    case 'deleteOthersMessages':
    case 'manageInvites':
      return 'ADMIN';
  }
}

/** Whether a member with `role` may take `action` in `conversation`. */
export function permitted(role: MemberRole, action: GroupAction, conversation: Policy): boolean {
  if (conversation.kind === 'DIRECT') return action === 'post' || action === 'pin';
  return RANK[role] >= RANK[lowestRole(action, conversation)];
}

/** FORBIDDEN unless a member with `role` may take `action`; the message says who may. */
export function requirePermitted(role: MemberRole, action: GroupAction, conversation: Policy): void {
  if (permitted(role, action, conversation)) return;
  const who = lowestRole(action, conversation) === 'OWNER' ? 'the group owner' : 'group owners and admins';
  throw forbidden(`Only ${who} can do this in this group.`);
}

/** Whether `role` outranks `other` (owners remove admins and members; admins remove members). */
export const outranks = (role: MemberRole, other: MemberRole) => RANK[role] > RANK[other];
