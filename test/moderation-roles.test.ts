// Tenant roles: a tenant's first user is its ADMIN (also when several sign up at once), roles are public within the
// tenant, only admins set them (never their own, never across tenants), and a new role takes effect at once.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOADER_ARGS, useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { openDatabase } from '../src/db/client.ts';
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

  it('answers FORBIDDEN to a user calling moderator fields over WebSocket too', async () => {
    const s = server();
    const { moderator, users } = await team(s);
    const run = async (who: TestUser, query: string) => {
      const client = s.ws({ token: who.token, clientId: who.clientId });
      const result = await new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>((resolve, reject) => {
        let last: { errors?: readonly { extensions?: Record<string, unknown> }[] } = {};
        client.subscribe({ query }, { next: (r) => (last = r as typeof last), error: reject, complete: () => resolve(last) });
      });
      await client.dispose();
      return result;
    };
    for (const query of [LOG, '{ moderationReports(first: 1) { edges { node { id } } } }', '{ contentFilter { action } }'])
      expect({ query, got: code(await run(users[0], query)) }).toEqual({ query, got: 'FORBIDDEN' });
    expect(code(await run(moderator, LOG))).toBeUndefined();
  });

  it('applies a role given or taken while a WebSocket is open to its next operation', async () => {
    const s = server();
    const { admin, moderator, users } = await team(s);
    const query = (client: ReturnType<TestServer['ws']>) =>
      new Promise<unknown>((resolve, reject) => {
        let last: { errors?: readonly { extensions?: Record<string, unknown> }[] } = {};
        client.subscribe({ query: LOG }, { next: (r) => (last = r as typeof last), error: reject, complete: () => resolve(code(last)) });
      });
    const [demoted, promoted] = [
      s.ws({ token: moderator.token, clientId: moderator.clientId }),
      s.ws({ token: users[0].token, clientId: users[0].clientId }),
    ];
    expect([await query(demoted), await query(promoted)]).toEqual([undefined, 'FORBIDDEN']);
    await ok(s, admin, SET_ROLE, { u: moderator.id, r: 'USER' });
    await ok(s, admin, SET_ROLE, { u: users[0].id, r: 'MODERATOR' });
    expect([await query(demoted), await query(promoted)]).toEqual(['FORBIDDEN', undefined]);
    await Promise.all([demoted.dispose(), promoted.dispose()]);
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

// A child process that compiles its TypeScript as it loads: slow on a busy machine.
const CLI_TIMEOUT = 90_000;
const root = new URL('..', import.meta.url).pathname;

/** Runs `npm run tenants -- <args>` on the embedded database under `dataDir`; resolves with its exit code and output. */
function tenantsCli(args: string[], dataDir: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...LOADER_ARGS, 'scripts/tenants.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the tenants CLI', () => {
  it(
    'sets a role by tenant and email, in the audit log, and refuses unknown roles and users',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'parley-roles-'));
      try {
        let db = await openDatabase({ pgliteDir: join(dir, 'pglite') });
        await db.migrate();
        await db.prisma.tenant.create({ data: { id: 'acme', name: 'Acme' } });
        await db.prisma.user.create({ data: { tenantId: 'acme', email: 'ann@example.com', name: 'Ann', passwordHash: 'x' } });
        await db.close();

        const set = await tenantsCli(['role', 'acme', 'Ann@Example.com', 'admin'], dir);
        expect(set.stdout).toMatch(/ann@example.com in tenant "acme" is now ADMIN \(was USER\)/);
        expect(set.status).toBe(0);
        expect((await tenantsCli(['role', 'acme', 'ann@example.com', 'OWNER'], dir)).stderr).toMatch(/usage/);
        const unknown = await tenantsCli(['role', 'acme', 'bob@example.com', 'ADMIN'], dir);
        expect([unknown.status, unknown.stderr]).toEqual([1, expect.stringMatching(/not found/)]);

        db = await openDatabase({ pgliteDir: join(dir, 'pglite') });
        const ann = await db.prisma.user.findFirstOrThrow({ where: { email: 'ann@example.com' } });
        expect(ann.role).toBe('ADMIN');
        const log = await db.prisma.moderationAction.findMany({ where: { tenantId: 'acme' } });
        expect(log.map((a) => [a.action, a.actorId, a.targetUserId, a.note])).toEqual([
          ['SET_ROLE', null, ann.id, 'USER -> ADMIN (tenants CLI)'],
        ]);
        await db.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    CLI_TIMEOUT * 3,
  );
});
