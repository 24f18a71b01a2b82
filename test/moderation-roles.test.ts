// Tenant roles: a tenant's first user is its ADMIN (also when several sign up at once), roles are public within the
// tenant, only admins set them (never their own, never across tenants), and a new role takes effect at once.
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/server.ts';
import { SET_ROLE, as, code, newTenant, ok, reason, team } from './helpers/moderation.ts';

const DIRECTORY = '{ users(first: 50) { edges { node { id role } } } }';
const LOG = '{ moderationLog(first: 10) { edges { node { action note actor { id } targetUser { id } } } } }';

describe('tenant roles', () => {
  const server = useServer();

  it("makes a new tenant's first user its ADMIN, and only one of many signing up at once", async () => {
    const s = server();
    const tenant = await newTenant(s);
    const all = await Promise.all(Array.from({ length: 6 }, () => s.user({ clientId: tenant })));
    const roles = await Promise.all(all.map((u) => ok<{ me: { role: string } }>(s, u, '{ me { role } }')));
    expect(roles.filter((r) => r.me.role === 'ADMIN')).toHaveLength(1);
    expect(roles.filter((r) => r.me.role === 'USER')).toHaveLength(5);
    const later = await s.user({ clientId: tenant });
    expect((await ok<{ me: { role: string } }>(s, later, '{ me { role } }')).me.role).toBe('USER');
  });

  it('shows roles to everyone in the tenant', async () => {
    const s = server();
    const { admin, moderator, users } = await team(s);
    const seen = await ok<{ users: { edges: { node: { id: string; role: string } }[] } }>(s, users[0], DIRECTORY);
    const byId = new Map(seen.users.edges.map((e) => [e.node.id, e.node.role]));
    expect(byId.get(admin.id)).toBe('ADMIN');
    expect(byId.get(moderator.id)).toBe('MODERATOR');
    expect(byId.get(users[1].id)).toBe('USER');
  });

  it('lets only admins set roles: users and moderators get FORBIDDEN', async () => {
    const s = server();
    const { moderator, users } = await team(s);
    for (const who of [users[0], moderator]) {
      const r = await as(s, who, SET_ROLE, { u: users[1].id, r: 'MODERATOR' });
      expect(code(r)).toBe('FORBIDDEN');
    }
    expect(code(await s.gql(SET_ROLE, { u: users[1].id, r: 'ADMIN' }))).toBe('UNAUTHENTICATED');
  });

  it("refuses an admin's own role, and users of another tenant", async () => {
    const s = server();
    const { admin, users } = await team(s);
    const other = await team(s);
    const own = await as(s, admin, SET_ROLE, { u: admin.id, r: 'USER' });
    expect([code(own), reason(own)]).toEqual(['BAD_USER_INPUT', 'OWN_ROLE']);
    expect(code(await as(s, admin, SET_ROLE, { u: other.users[0].id, r: 'MODERATOR' }))).toBe('NOT_FOUND');
    // The other tenant's admin cannot reach this tenant's users either.
    expect(code(await as(s, other.admin, SET_ROLE, { u: users[0].id, r: 'ADMIN' }))).toBe('NOT_FOUND');
  });

  it('gives and takes moderator access at once, and logs every change', async () => {
    const s = server();
    const { admin, users } = await team(s);
    const [u] = users;
    expect(code(await as(s, u, LOG))).toBe('FORBIDDEN');
    await ok(s, admin, SET_ROLE, { u: u.id, r: 'MODERATOR' });
    expect(code(await as(s, u, LOG))).toBeUndefined();
    await ok(s, admin, SET_ROLE, { u: u.id, r: 'USER' });
    expect(code(await as(s, u, LOG))).toBe('FORBIDDEN');
    const log = await ok<{
      moderationLog: { edges: { node: { action: string; note: string; actor: { id: string }; targetUser: { id: string } } }[] };
    }>(s, admin, LOG);
    const roles = log.moderationLog.edges.map((e) => e.node).filter((n) => n.action === 'SET_ROLE' && n.targetUser.id === u.id);
    expect(roles.map((n) => n.note)).toEqual(['MODERATOR -> USER', 'USER -> MODERATOR']);
    expect(roles.every((n) => n.actor.id === admin.id)).toBe(true);
  });

  it("keeps another tenant's audit log out of reach", async () => {
    const s = server();
    const a = await team(s);
    const b = await team(s);
    const log = await ok<{ moderationLog: { edges: { node: { targetUser: { id: string } | null } }[] } }>(s, b.admin, LOG);
    const targets = log.moderationLog.edges.map((e) => e.node.targetUser?.id);
    expect(targets).not.toContain(a.moderator.id);
    expect(targets).toContain(b.moderator.id);
  });
});
