// Caps on open WebSockets per signed-in user (WS_MAX_CONNECTIONS_PER_USER) and per client address
// (WS_MAX_CONNECTIONS_PER_IP), checked at connection_init: one more than the cap is closed with 4429 and a reason
// that says which cap; closing one frees its slot. The address is the socket's, or with TRUST_PROXY the first
// X-Forwarded-For hop (which, without TRUST_PROXY, cannot be forged to get around the cap).
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testConfig, useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { until } from './helpers/faults.ts';

const CAP = 3;
const TOO_MANY_FOR_USER = { code: 4429, reason: 'Too many connections for this user' };
const TOO_MANY_FROM_ADDRESS = { code: 4429, reason: 'Too many connections from this address' };

interface Connection {
  socket: WebSocket;
  /** 'acked', or how the server closed the socket instead. */
  outcome: 'acked' | { code: number; reason: string };
  close(): Promise<void>;
}

/** A graphql-transport-ws socket that sends connection_init (as `user`, else a guest) and reports the answer. */
async function connect(s: TestServer, user: TestUser | null, headers: Record<string, string> = {}): Promise<Connection> {
  const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws', { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'connection_init', payload: user ? { authorization: `Bearer ${user.token}` } : {} }));
  const acked = once(socket, 'message').then(([data]) => JSON.parse(String(data)).type === 'connection_ack');
  const first = await Promise.race([acked.then((ok) => (ok ? ('acked' as const) : null)), closed]);
  if (first === null) throw new Error('connection_init answered with something other than connection_ack');
  return {
    socket,
    outcome: first,
    close: async () => {
      socket.close(1000);
      await closed;
    },
  };
}

async function connectAll(s: TestServer, count: number, user: TestUser | null, headers?: Record<string, string>) {
  const out: Connection[] = [];
  for (let i = 0; i < count; i++) out.push(await connect(s, user, headers));
  return out;
}

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
    expect(open.map((c) => c.outcome)).toEqual(Array(CAP).fill('acked'));

    expect((await connect(s, u)).outcome).toEqual(TOO_MANY_FOR_USER);
    expect((await connect(s, other)).outcome).toBe('acked'); // another user is not affected
    expect((await connect(s, null)).outcome).toBe('acked'); // nor are guests (no user to count)

    await open[0].close();
    await until(async () => s.services().connections.webSockets('wsUser', u.id) < CAP, 5_000, 'the closed socket to be forgotten');
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
    expect(open.map((c) => c.outcome)).toEqual(Array(CAP).fill('acked'));
    expect((await connect(s, null, { 'x-forwarded-for': '198.51.100.1' })).outcome).toEqual(TOO_MANY_FROM_ADDRESS);
    expect((await connect(s, u)).outcome).toEqual(TOO_MANY_FROM_ADDRESS);

    await open[0].close();
    await until(async () => s.services().connections.webSockets('wsIp', '127.0.0.1') < CAP, 5_000, 'the closed socket to be forgotten');
    expect((await connect(s, null)).outcome).toBe('acked');
  });
});

describe('WS_MAX_CONNECTIONS_PER_IP with TRUST_PROXY', () => {
  const server = useServer({ TRUST_PROXY: 'true', WS_MAX_CONNECTIONS_PER_IP: String(CAP), WS_MAX_CONNECTIONS_PER_USER: '0' });

  it('counts the first X-Forwarded-For address: one client is capped, another behind the same proxy is not', async () => {
    const s = server();
    const client = { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' };
    expect((await connectAll(s, CAP, null, client)).map((c) => c.outcome)).toEqual(Array(CAP).fill('acked'));
    expect((await connect(s, null, client)).outcome).toEqual(TOO_MANY_FROM_ADDRESS);
    expect((await connect(s, null, { 'x-forwarded-for': '203.0.113.8' })).outcome).toBe('acked');
  });
});
