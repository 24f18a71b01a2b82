// Caps on open WebSockets. Per client address (WS_MAX_CONNECTIONS_PER_IP) every socket counts from its upgrade,
// whether or not it ever sends connection_init, and the upgrade over the cap is refused with HTTP 429 (no WebSocket
// is opened); the address is the socket's, or with TRUST_PROXY the first X-Forwarded-For hop (which, without
// TRUST_PROXY, cannot be forged to get around the cap). Per signed-in user (WS_MAX_CONNECTIONS_PER_USER), counted at
// connection_init, one more than the cap is closed with 4429 and a reason that says which cap. Closing a socket
// frees its slot, however it closes: after many sockets opened and closed every way, the counts are back to zero.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testConfig, useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { until } from './helpers/faults.ts';

const CAP = 3;
const TOO_MANY_FOR_USER = { code: 4429, reason: 'Too many connections for this user' };
const TOO_MANY_FROM_ADDRESS = { status: 429, body: 'Too many connections from this address' };

/** How the server answered: a refused upgrade's status and body, a close instead of connection_ack, or 'acked'. */
type Outcome = 'acked' | { code: number; reason: string } | { status: number; body: string };

interface Connection {
  socket: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** Upgrades a socket (graphql-transport-ws); a refused upgrade resolves with its status and body instead. */
async function upgrade(s: TestServer, headers: Record<string, string> = {}): Promise<Connection | { status: number; body: string }> {
  const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws', { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    socket.once('open', () =>
      resolve({
        socket,
        closed,
        close: async () => {
          socket.close(1000);
          await closed;
        },
      }),
    );
    socket.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode!, body });
      });
    });
    socket.once('error', reject);
  });
}

/** Upgrades a socket and sends connection_init (as `user`, else a guest); reports the answer. */
async function connect(
  s: TestServer,
  user: TestUser | null,
  headers: Record<string, string> = {},
): Promise<{ outcome: Outcome; connection?: Connection }> {
  const connection = await upgrade(s, headers);
  if (!('socket' in connection)) return { outcome: connection };
  const { socket } = connection;
  socket.send(JSON.stringify({ type: 'connection_init', payload: user ? { authorization: `Bearer ${user.token}` } : {} }));
  const acked = once(socket, 'message').then(([data]) => JSON.parse(String(data)).type === 'connection_ack');
  const first = await Promise.race([acked.then((ok) => (ok ? ('acked' as const) : null)), connection.closed]);
  if (first === null) throw new Error('connection_init answered with something other than connection_ack');
  return { outcome: first, connection };
}

async function connectAll(s: TestServer, count: number, user: TestUser | null, headers?: Record<string, string>) {
  const out: Awaited<ReturnType<typeof connect>>[] = [];
  for (let i = 0; i < count; i++) out.push(await connect(s, user, headers));
  return out;
}

const outcomes = (connections: { outcome: Outcome }[]) => connections.map((c) => c.outcome);

it('caps are on by default', () => {
  const config = testConfig();
  expect(config.WS_MAX_CONNECTIONS_PER_USER).toBe(20);
  expect(config.WS_MAX_CONNECTIONS_PER_IP).toBe(200);
});

describe('WS_MAX_CONNECTIONS_PER_USER', () => {
  const server = useServer({ WS_MAX_CONNECTIONS_PER_USER: String(CAP), WS_MAX_CONNECTIONS_PER_IP: '0' });

  it('closes the socket over the cap with 4429, counts every session of the user, and frees a slot on close', async () => {
    const s = server();
    const [u, other] = [await s.user(), await s.user()];
    const open = await connectAll(s, CAP - 1, u);
    // Another session of the same user counts towards the same cap.
    const signIn = await s.ok<{ signIn: { token: string } }, Record<string, unknown>>(
      'mutation($input: SignInInput!) { signIn(input: $input) { token } }',
      { input: { email: u.email, password: u.password } },
    );
    open.push(await connect(s, { ...u, token: signIn.signIn.token }));
    expect(outcomes(open)).toEqual(Array(CAP).fill('acked'));

    expect((await connect(s, u)).outcome).toEqual(TOO_MANY_FOR_USER);
    expect((await connect(s, other)).outcome).toBe('acked'); // another user is not affected
    expect((await connect(s, null)).outcome).toBe('acked'); // nor are guests (no user to count)

    await open[0].connection!.close();
    await until(async () => s.services().connections.count('wsUser', u.id) < CAP, 5_000, 'the closed socket to be forgotten');
    expect((await connect(s, u)).outcome).toBe('acked');
    expect((await connect(s, u)).outcome).toEqual(TOO_MANY_FOR_USER);
  });
});

describe('WS_MAX_CONNECTIONS_PER_IP (the socket address)', () => {
  const server = useServer({ WS_MAX_CONNECTIONS_PER_IP: String(CAP), WS_MAX_CONNECTIONS_PER_USER: '0' });

  it('counts guests and users from one address; a forged X-Forwarded-For does not get around it', async () => {
    const s = server();
    const u = await s.user();
    const open = [...(await connectAll(s, CAP - 1, null)), await connect(s, u)];
    expect(outcomes(open)).toEqual(Array(CAP).fill('acked'));
    expect((await connect(s, null, { 'x-forwarded-for': '198.51.100.1' })).outcome).toEqual(TOO_MANY_FROM_ADDRESS);
    expect((await connect(s, u)).outcome).toEqual(TOO_MANY_FROM_ADDRESS);

    await open[0].connection!.close();
    await until(async () => s.services().connections.socketsFrom('127.0.0.1') < CAP, 5_000, 'the closed socket to be forgotten');
    const last = await connect(s, null);
    expect(last.outcome).toBe('acked');
    await Promise.all([...open.slice(1), last].map((c) => c.connection!.close()));
  });

  it('counts sockets that never send connection_init: the next upgrade is refused with 429 before any WebSocket opens', async () => {
    const s = server();
    const silent: Connection[] = [];
    for (let i = 0; i < CAP; i++) {
      const socket = await upgrade(s);
      if (!('socket' in socket)) throw new Error(`upgrade ${i + 1} of ${CAP} was refused: ${socket.status}`);
      silent.push(socket);
    }
    expect(s.services().connections.socketsFrom('127.0.0.1')).toBe(CAP);
    expect(await upgrade(s)).toEqual(TOO_MANY_FROM_ADDRESS);
    expect((await connect(s, await s.user())).outcome).toEqual(TOO_MANY_FROM_ADDRESS);
    // The refused upgrades were never counted; closing the silent sockets frees every slot.
    expect(s.services().connections.socketsFrom('127.0.0.1')).toBe(CAP);
    await Promise.all(silent.map((c) => c.close()));
    await until(async () => s.services().connections.socketsFrom('127.0.0.1') === 0, 5_000, 'the closed sockets to be forgotten');
    expect(outcomes(await connectAll(s, CAP, null))).toEqual(Array(CAP).fill('acked'));
  });
});

describe('WS_MAX_CONNECTIONS_PER_IP with TRUST_PROXY', () => {
  const server = useServer({ TRUST_PROXY: 'true', WS_MAX_CONNECTIONS_PER_IP: String(CAP), WS_MAX_CONNECTIONS_PER_USER: '0' });

  it('counts the first X-Forwarded-For address: one client is capped, another behind the same proxy is not', async () => {
    const s = server();
    const client = { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' };
    expect(outcomes(await connectAll(s, CAP, null, client))).toEqual(Array(CAP).fill('acked'));
    expect((await connect(s, null, client)).outcome).toEqual(TOO_MANY_FROM_ADDRESS);
    expect((await connect(s, null, { 'x-forwarded-for': '203.0.113.8' })).outcome).toBe('acked');
  });
});

describe('counting cannot leak', () => {
  const ROUNDS = 25;
  const server = useServer({
    WS_MAX_CONNECTIONS_PER_IP: String(CAP),
    WS_MAX_CONNECTIONS_PER_USER: '1',
    WS_CONNECTION_INIT_TIMEOUT_MS: '400',
  });

  /** /metrics sample of a metric without labels. */
  async function metric(s: TestServer, name: string): Promise<number | undefined> {
    const body = await (await fetch(`${s.url}/metrics`)).text();
    const line = body.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  }

  it(`after ${ROUNDS} rounds of sockets closed every way, no socket is counted and every slot is free`, async () => {
    const s = server();
    const u = await s.user();
    const counted = () => s.services().connections.socketsFrom('127.0.0.1');
    const opened = async (round: number) => {
      const socket = await upgrade(s);
      if (!('socket' in socket)) throw new Error(`round ${round}: upgrade refused (${socket.status}): a slot leaked`);
      return socket;
    };
    for (let round = 0; round < ROUNDS; round++) {
      await until(async () => counted() === 0, 5_000, `the sockets of round ${round - 1} to be forgotten`);
      // Every address slot taken, by sockets that sent connection_init and sockets that did not (opened last, so the
      // connection_init timeout does not close them while the first one signs in on a busy machine).
      const acked = await connect(s, u);
      const [silent, another] = [await opened(round), await opened(round)];
      expect(acked.outcome).toBe('acked');
      expect(await upgrade(s)).toEqual(TOO_MANY_FROM_ADDRESS);
      // Closed by the client before connection_init.
      await Promise.all([silent.close(), another.close()]);
      await until(async () => counted() === 1, 5_000, 'the closed sockets to be forgotten');
      // Closed by the server: over the user cap (4429), a refused token (4403), connection_init never sent (4408).
      expect((await connect(s, u)).outcome).toEqual(TOO_MANY_FOR_USER);
      expect((await connect(s, { ...u, token: 'not-a-token' })).outcome).toMatchObject({ code: 4403 });
      expect(await (await opened(round)).closed).toMatchObject({ code: 4408 });
      // Dropped without a close frame (the TCP connection just ends).
      acked.connection!.socket.terminate();
      await acked.connection!.closed;
    }
    await until(async () => s.services().connections.socketsFrom() === 0, 5_000, 'every closed socket to be forgotten');
    expect(s.services().connections.count('wsUser', u.id)).toBe(0);
    expect(await metric(s, 'parley_ws_connections_counted')).toBe(0);
    expect(await metric(s, 'parley_ws_connections_open')).toBe(0);
    expect(outcomes(await connectAll(s, CAP, null))).toEqual(Array(CAP).fill('acked'));
  });
});
