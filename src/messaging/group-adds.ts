// Who an add to a group adds: each person's privacy setting (User.groupAdds) decides whether the adder may add them
// (EVERYONE; CONTACTS: only their accepted contacts, see accounts/privacy.ts; NOBODY). Anyone the adder may not add is
// invited instead (GroupInvitation, accepted with acceptGroupInvitation), and anyone who blocks the adder is neither
// added nor invited, with nothing said, so an add never tells the adder they are blocked.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { contactMemberships } from '../accounts/privacy.ts';
import type { Tx } from './events.ts';

export interface SortedAdds {
  /** Added as members now. */
  add: string[];
  /** Invited instead (GroupInvitation rows). */
  invite: string[];
}

/** Sorts the people `actor` adds (ids of users of the actor's tenant, not the actor) into adds and invitations. */
export async function sortAdds(prisma: PrismaClient, actor: { tenantId: string; userId: string }, ids: string[]): Promise<SortedAdds> {
  if (!ids.length) return { add: [], invite: [] };
  const users = await prisma.user.findMany({
    where: { id: { in: ids }, tenantId: actor.tenantId },
    select: { id: true, groupAdds: true, blocking: { where: { blockedId: actor.userId }, select: { blockerId: true } } },
  });
  const askContacts = users.filter((u) => u.groupAdds === 'CONTACTS').map((u) => u.id);
  const contacts = askContacts.length
    ? await prisma.conversationMember.findMany({
        where: { AND: [contactMemberships(actor.userId, actor.tenantId), { userId: { in: askContacts } }] },
        select: { userId: true },
      })
    : [];
  const isContact = new Set(contacts.map((c) => c.userId));
  const byId = new Map(users.map((u) => [u.id, u]));
  const sorted: SortedAdds = { add: [], invite: [] };
  for (const id of ids) {
    const user = byId.get(id);
    if (!user || user.blocking.length) continue;
    const allowed = user.groupAdds === 'EVERYONE' || (user.groupAdds === 'CONTACTS' && isContact.has(id));
    (allowed ? sorted.add : sorted.invite).push(id);
  }
  return sorted;
}

/** Stores invitations to a group (an invitation already there stays as it was). */
export async function invite(tx: Tx, conversationId: string, invitedById: string, userIds: string[]): Promise<void> {
  if (!userIds.length) return;
  await tx.groupInvitation.createMany({
    data: userIds.map((userId) => ({ conversationId, userId, invitedById })),
    skipDuplicates: true,
  });
}
