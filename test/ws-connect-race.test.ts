// A session that ends, or an account deleted, while a WebSocket is being authenticated at connection_init: the
// announcement (sessions:revoked, users:removed) arrives before the socket is registered to hear it, so the socket
// must not be let in on what was read before. Reproduced exactly on PostgreSQL: a proxy in front of the database holds
// back the answer to the socket's session lookup (the session was alive when PostgreSQL read it), the session ends
// and its announcement reaches the instance (another socket of the same user hears of it), then the answer is let
// through. The socket is closed with 4403 instead of being acknowledged. Embedded PGlite has no connection to hold an
// answer on, so there the test is skipped.
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { createDatabaseFromTemplate } from './helpers/postgres.ts';
import { targetOf, throughProxy } from './helpers/tcp-proxy.ts';
import { rawSocket } from './helpers/raw-ws.ts';
import { titled } from './helpers/faults.ts';
import { openDatabase, type Database } from '../src/db/client.ts';

const POSTGRES = process.env.TEST_DATABASE_URL;
// The session lookup of an opaque bearer token (AccountService.authenticate); nothing else runs it in these tests
// while an answer is held.
const SESSION_LOOKUP = '"tokenHash" = $';
const SESSIONS_ENDED = 'subscription { sessionsEnded { reason } }';

interface HoldingProxy {
  port: number;
  /**
   * The next request containing `pattern` reaches PostgreSQL, and `answered` resolves once PostgreSQL has answered
   * it (so it ran, on the data as it was then); the answer reaches the client only on `release()`.
   */
  holdAnswerTo(pattern: string): { answered: Promise<void>; release(): void };
  close(): Promise<void>;
}

async function startHoldingProxy(target: { host: string; port: number }): Promise<HoldingProxy> {
  const sockets = new Set<Socket>();
  let trap: { pattern: string; hold: (client: Socket, upstream: Socket) => void } | null = null;
  const server: Server = createServer((client) => {
    const upstream = createConnection(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (trap && chunk.includes(trap.pattern)) {
        trap.hold(client, upstream);
        trap = null;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    holdAnswerTo(pattern) {
      let answeredNow!: () => void;
      const answered = new Promise<void>((resolve) => (answeredNow = resolve));
      let release: () => void = () => {
        throw new Error(`no request containing ${pattern} was sent`);
      };
      trap = {
        pattern,
        hold: (client, upstream) => {
          const held: Buffer[] = [];
          const keep = (chunk: Buffer) => {
            held.push(chunk);
            answeredNow();
          };
          upstream.unpipe(client);
          upstream.on('data', keep);
          upstream.resume(); // unpipe() left it paused
          release = () => {
            upstream.off('data', keep);
            for (const chunk of held) client.write(chunk);
            upstream.pipe(client);
          };
        },
      };
      return { answered, release: () => release() };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(!POSTGRES)(titled('access that ends while a WebSocket is being authenticated', { TEST_DATABASE_URL: POSTGRES }), () => {
  let proxy: HoldingProxy;
  let db: Database;
  let drop: () => Promise<void>;
  let s: TestServer;

  beforeAll(async () => {
    const copy = await createDatabaseFromTemplate(POSTGRES!, inject('postgresTemplate'));
    drop = copy.drop;
    proxy = await startHoldingProxy(targetOf(copy.url));
    db = await openDatabase({ url: throughProxy(copy.url, proxy.port), poolSize: 5 });
    s = await startServer({}, { db });
  });

  afterAll(async () => {
    await s?.stop();
    await db?.close();
    await proxy?.close();
    await drop?.();
  });

  /** A second session of `u`, with a socket whose sessionsEnded stream tells when an ending reached the instance. */
  async function observer(u: TestUser) {
    const { signIn } = await s.ok<{ signIn: { token: string } }, Record<string, unknown>>(
      'mutation($input: SignInInput!) { signIn(input: $input) { token } }',
      { input: { email: u.email, password: u.password } },
    );
    const raw = await rawSocket(s);
    await raw.init({ authorization: `Bearer ${signIn.token}` });
    raw.send({ id: 'ended', type: 'subscribe', payload: { query: SESSIONS_ENDED } });
    return { token: signIn.token, raw };
  }

  /**
   * Sends connection_init with `u`'s token and holds the database's answer to its session lookup while `end` runs
   * (and its announcement arrives); returns how the server then answered the socket.
   */
  async function connectWhileEnding(u: TestUser, end: () => Promise<void>) {
    const held = proxy.holdAnswerTo(SESSION_LOOKUP);
    const raw = await rawSocket(s);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${u.token}` } });
    await held.answered; // PostgreSQL found the session alive
    await end();
    held.release();
    const first = await Promise.race([raw.next().then((m) => m.type), raw.closed()]);
    return first === 'connection_ack' ? { acked: true, then: await raw.closed() } : first;
  }

  it('a session signed out meanwhile: the socket is closed with 4403, not acknowledged', async () => {
    const u = await s.user();
    const other = await observer(u);
    const outcome = await connectWhileEnding(u, async () => {
      expect((await s.gql('mutation { signOut }', {}, { token: u.token })).errors).toBeUndefined();
      expect(await other.raw.next()).toMatchObject({ type: 'next', payload: { data: { sessionsEnded: { reason: 'signed out' } } } });
    });
    expect(outcome).toMatchObject({ code: 4403 });
  });

  it('an account deleted meanwhile: the socket is closed with 4403, not acknowledged', async () => {
    const u = await s.user();
    const other = await observer(u);
    const outcome = await connectWhileEnding(u, async () => {
      expect(
        (await s.gql('mutation($pw: String!) { deleteAccount(password: $pw) }', { pw: u.password }, { token: other.token })).errors,
      ).toBeUndefined();
      expect(await other.raw.closed()).toMatchObject({ code: 4403 }); // the deletion reached this instance
    });
    expect(outcome).toMatchObject({ code: 4403 });
  });
});
