// Access that ends while connections are open: a tenant disabled (TenantService.setDisabled, the tenants CLI, or a
// database update no event announces) and an account deleted close their WebSockets with 4403 and drop their SSE
// streams, on the instance that made the change and on every other one; a disabled tenant's new connection_init
// and HTTP requests are refused at once, not after a cache expires.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOADER_ARGS,
  openTestDatabase,
  startServer,
  useServer,
  useTwoInstances,
  type TestServer,
  type TestUser,
} from './helpers/server.ts';
import { rawSocket } from './helpers/raw-ws.ts';
import { titled } from './helpers/faults.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { TenantService } from '../src/accounts/tenants.ts';

const REDIS = process.env.TEST_REDIS_URL;
const POSTGRES = process.env.TEST_DATABASE_URL;
const root = new URL('..', import.meta.url).pathname;
// Long enough that nothing in a test can be the cache expiring or the periodic re-check: what closes is the event.
const EVENTS_ONLY = { TENANT_CACHE_MS: '600000' };

const SESSIONS_ENDED = 'subscription { sessionsEnded { reason } }';
const ME = '{ me { id } }';
const DELETE_ACCOUNT = 'mutation($pw: String!) { deleteAccount(password: $pw) }';

let counter = 0;
const tenantId = () => `t${process.pid}x${Date.now().toString(36)}x${counter++}`;

async function newTenant(s: TestServer): Promise<string> {
  const id = tenantId();
  await s.services().tenants.add(id);
  return id;
}

/** A WebSocket past connection_init (as `user`, or a guest of `clientId`) with a subscription running. */
async function liveSocket(s: TestServer, who: { user?: TestUser; clientId?: string }) {
  const raw = await rawSocket(s);
  const clientId = who.user?.clientId ?? who.clientId;
  await raw.init({ ...(clientId ? { clientId } : {}), ...(who.user ? { authorization: `Bearer ${who.user.token}` } : {}) });
  raw.send({ id: 'live', type: 'subscribe', payload: { query: SESSIONS_ENDED } });
  return raw;
}

/** An open SSE subscription; `ended()` resolves when the server drops or ends it. */
async function sseStream(s: TestServer, user: TestUser) {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${user.token}`,
      ...(user.clientId ? { 'x-client-id': user.clientId } : {}),
    },
    body: JSON.stringify({ query: SESSIONS_ENDED }),
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const done = (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // the connection was dropped: that is the end too
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  return {
    ended: () =>
      Promise.race([
        done,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('SSE stream still open')), 5_000))),
      ]).finally(() => clearTimeout(timer)),
    cancel: () => reader.cancel().catch(() => {}),
  };
}

const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

/** connection_init as `user` is answered with a close (code and reason), not an ack. */
async function refusedInit(s: TestServer, user: TestUser) {
  const raw = await rawSocket(s);
  raw.send({ type: 'connection_init', payload: { clientId: user.clientId, authorization: `Bearer ${user.token}` } });
  return raw.closed();
}

/** The socket still answers: a ping gets its pong. */
async function stillOpen(raw: Awaited<ReturnType<typeof rawSocket>>) {
  raw.send({ type: 'ping' });
  expect((await raw.next()).type).toBe('pong');
}

describe('disabling a tenant on one instance', () => {
  const server = useServer(EVENTS_ONLY);

  it('closes its WebSockets (4403) and SSE streams, refuses its new connection_init and requests, spares other tenants', async () => {
    const s = server();
    const t = await newTenant(s);
    const [u, other] = [await s.user({ clientId: t }), await s.user()];
    const [socket, guest, bystander] = [
      await liveSocket(s, { user: u }),
      await liveSocket(s, { clientId: t }),
      await liveSocket(s, { user: other }),
    ];
    const sse = await sseStream(s, u);
    expect((await s.ok<{ me: { id: string } }, Record<string, never>>(ME, {}, { token: u.token, clientId: t })).me.id).toBe(u.id);

    await s.services().tenants.setDisabled(t, true);
    expect(await socket.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
    expect(await guest.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
    await sse.ended();
    expect((await refusedInit(s, u)).code).toBe(4403);
    expect(code(await s.gql(ME, {}, { token: u.token, clientId: t }))).toBe('TENANT_NOT_FOUND');
    await stillOpen(bystander);

    await s.services().tenants.setDisabled(t, false);
    await stillOpen(await liveSocket(s, { user: u }));
  });

  it('deleting an account closes its WebSockets and SSE streams', async () => {
    const s = server();
    const u = await s.user();
    const [socket, sse] = [await liveSocket(s, { user: u }), await sseStream(s, u)];
    expect(code(await s.gql(DELETE_ACCOUNT, { pw: u.password }, { token: u.token }))).toBeUndefined();
    expect(await socket.closed()).toMatchObject({ code: 4403, reason: expect.stringMatching(/account deleted/i) });
    await sse.ended();
  });
});

describe('a tenant disabled where no event announces it (a direct database update)', () => {
  const server = useServer({ TENANT_CACHE_MS: '200' });

  it('closes its WebSockets and streams within TENANT_CACHE_MS', async () => {
    const s = server();
    const t = await newTenant(s);
    const u = await s.user({ clientId: t });
    const [socket, sse] = [await liveSocket(s, { user: u }), await sseStream(s, u)];
    await s.db.prisma.tenant.update({ where: { id: t }, data: { disabled: true } });
    expect(await socket.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
    await sse.ended();
    expect(code(await s.gql(ME, {}, { token: u.token, clientId: t }))).toBe('TENANT_NOT_FOUND');
  });
});

describe('the tenant cache', () => {
  const server = useServer(EVENTS_ONLY);

  it('holds at most its bound of client ids, the least recently used going first; forget() drops one', async () => {
    const s = server();
    const [a, b, c] = [await newTenant(s), await newTenant(s), await newTenant(s)];
    const tenants = new TenantService(s.db.prisma, { cacheMs: 600_000, maxCached: 2 });
    const resolves = async (id: string) =>
      await tenants.resolve(id, true).then(
        () => true,
        () => false,
      );
    expect([await resolves(a), await resolves(b)]).toEqual([true, true]);
    // Disabled behind the cache's back: what it still holds is served until it goes.
    await s.db.prisma.tenant.updateMany({ where: { id: { in: [a, b] } }, data: { disabled: true } });
    expect(await resolves(b)).toBe(true);
    expect(await resolves(c)).toBe(true); // a, the least recently used, makes room
    expect(await resolves(b)).toBe(true);
    expect(await resolves(a)).toBe(false); // read again: disabled
    tenants.forget(b);
    expect(await resolves(b)).toBe(false);
  });
});

describe.skipIf(!REDIS)(titled('closing across instances', { TEST_REDIS_URL: REDIS }), () => {
  const pair = useTwoInstances(EVENTS_ONLY);

  it('a tenant disabled on A closes its sockets on A and B, and B stops serving it from its cache', async () => {
    const { a, b } = pair();
    await Promise.all([a, b].map((s) => s.services().pubsub.ready?.('tenants:changed')));
    const t = await newTenant(a);
    const u = await a.user({ clientId: t });
    // B has looked the tenant up (and cached it) before it is disabled.
    expect((await b.ok<{ me: { id: string } }, Record<string, never>>(ME, {}, { token: u.token, clientId: t })).me.id).toBe(u.id);
    const [onA, onB, sseOnB] = [await liveSocket(a, { user: u }), await liveSocket(b, { user: u }), await sseStream(b, u)];

    await a.services().tenants.setDisabled(t, true);
    expect(await onA.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
    expect(await onB.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
    await sseOnB.ended();
    expect(code(await b.gql(ME, {}, { token: u.token, clientId: t }))).toBe('TENANT_NOT_FOUND');
    expect((await refusedInit(b, u)).code).toBe(4403);
  });

  it('deleting an account on A closes its sockets and streams on A and B', async () => {
    const { a, b } = pair();
    await Promise.all([a, b].map((s) => s.services().pubsub.ready?.('users:removed')));
    const u = await a.user();
    const [onA, onB, sseOnB] = [await liveSocket(a, { user: u }), await liveSocket(b, { user: u }), await sseStream(b, u)];
    expect(code(await a.gql(DELETE_ACCOUNT, { pw: u.password }, { token: u.token }))).toBeUndefined();
    for (const socket of [onA, onB])
      expect(await socket.closed()).toMatchObject({ code: 4403, reason: expect.stringMatching(/account deleted/i) });
    await sseOnB.ended();
  });
});

// A child process that compiles its TypeScript as it loads: slow on a busy machine.
const CLI_TIMEOUT = 90_000;

/** Runs `npm run tenants -- <args>` as a child process; resolves with its exit code and output. */
function tenantsCli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...LOADER_ARGS, 'scripts/tenants.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
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

describe.skipIf(!POSTGRES || !REDIS)(
  titled('tenants CLI beside running instances', { TEST_DATABASE_URL: POSTGRES, TEST_REDIS_URL: REDIS }),
  () => {
    let db: Database;
    let url: string;
    let drop: () => Promise<void>;
    const prefix = `test:cli:${process.pid}:${Date.now()}:`;
    const servers: TestServer[] = [];
    beforeAll(async () => {
      const fresh = await openTestDatabase();
      ({ db, drop } = fresh);
      url = fresh.url!;
    });
    afterAll(async () => {
      for (const s of servers) await s.stop();
      await db?.close();
      await drop?.();
    });

    it(
      "with REDIS_URL: `disable` closes the tenant's sockets on every instance at once",
      async () => {
        const env = { ...EVENTS_ONLY, REDIS_PREFIX: prefix };
        const [a, b] = [await startServer(env, { db }), await startServer(env, { db })];
        servers.push(a, b);
        await Promise.all([a, b].map((s) => s.services().pubsub.ready?.('tenants:changed')));
        const t = await newTenant(a);
        const u = await a.user({ clientId: t });
        const [onA, onB] = [await liveSocket(a, { user: u }), await liveSocket(b, { user: u })];

        const run = await tenantsCli(['disable', t], { DATABASE_URL: url, REDIS_URL: REDIS!, REDIS_PREFIX: prefix });
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout).toContain(`Tenant "${t}" is now disabled.`);
        expect(run.stdout).toContain('Told 2 running instance(s) through Redis');
        expect(await onA.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
        expect(await onB.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
        expect(code(await b.gql(ME, {}, { token: u.token, clientId: t }))).toBe('TENANT_NOT_FOUND');
      },
      CLI_TIMEOUT,
    );

    it(
      "without Redis: instances re-check and close the tenant's sockets within TENANT_CACHE_MS",
      async () => {
        const s = await startServer({ REDIS_URL: '', TENANT_CACHE_MS: '300' }, { db });
        servers.push(s);
        const t = await newTenant(s);
        const u = await s.user({ clientId: t });
        const socket = await liveSocket(s, { user: u });
        const run = await tenantsCli(['disable', t], { DATABASE_URL: url });
        expect(run.status).toBe(0);
        expect(run.stdout).toContain('re-check');
        expect(await socket.closed()).toEqual({ code: 4403, reason: 'Tenant disabled' });
      },
      CLI_TIMEOUT,
    );
  },
);

describe('tenants CLI on the embedded database', () => {
  let dir: string;
  let holder: Database | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-cli-'));
  });
  afterAll(async () => {
    await holder?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'says the server holds the database and what to do, instead of changing it behind the server',
    async () => {
      holder = await openDatabase({ pgliteDir: join(dir, 'pglite') }); // what a running server holds
      const run = await tenantsCli(['disable', 'default'], { DATA_DIR: dir });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/in use by another Parley process/);
      expect(run.stderr).toMatch(/stop the server, run this command, start it again/);
    },
    CLI_TIMEOUT,
  );
});
