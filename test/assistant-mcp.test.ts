// A tenant's MCP servers: a real MCP server (the SDK's McpServer over Streamable HTTP on node:http, port 0) added by
// an admin, its tools called by answers as `<server>__<tool>`, its Authorization sent and never returned; admins
// only; a server that stops gives the model an error result, never a failed answer.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chatOnce, type Event } from './helpers/chat.ts';

type Vars = Record<string, unknown>;
const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

const ADD =
  'mutation($n: String!, $u: String!, $a: String) { addMcpServer(name: $n, url: $u, authorization: $a) { id name url hasAuthorization } }';
const LIST = '{ mcpServers { id name url hasAuthorization createdAt } }';
const REMOVE = 'mutation($id: ID!) { removeMcpServer(id: $id) }';
const TOOLS = '{ chatTools { name source description inputSchema } }';

/** A small MCP server: `add` sums two numbers, `refuse` reports an error; it records each request's Authorization. */
async function startMcp(): Promise<{ url: string; authorizations: (string | undefined)[]; stop: () => Promise<void> }> {
  const authorizations: (string | undefined)[] = [];
  const http: Server = createServer(async (req, res) => {
    authorizations.push(req.headers.authorization);
    // Stateless: a server and transport per request, as the SDK's example does.
    const mcp = new McpServer({ name: 'calc', version: '1.0.0' });
    mcp.registerTool('add', { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
    }));
    mcp.registerTool('refuse', { description: 'Always refuses.' }, async () => ({
      content: [{ type: 'text', text: 'no, never' }],
      isError: true,
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close().then(() => mcp.close()));
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.method === 'POST' ? await json(req) : undefined);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authorizations,
    stop: () =>
      new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      }),
  };
}

async function json(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A fresh tenant with its admin (its first user) and a member. */
async function tenant(s: TestServer) {
  const clientId = `mcp-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await s.services().tenants.add(clientId);
  const admin = await s.user({ clientId });
  const member = await s.user({ clientId });
  return { clientId, admin, member, as: (u: TestUser) => ({ token: u.token, clientId }) };
}

const resultOf = (events: Event[]) => {
  const results = events.filter((e) => e.__typename === 'ChatToolResult');
  expect(results).toHaveLength(1);
  return { output: results[0].output, isError: results[0].isError };
};

describe('MCP servers', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1', CHAT_TOOL_TIMEOUT_MS: '3000' });

  it("are added by an admin; answers call their tools with the server's Authorization, which is never returned", async () => {
    const s = server();
    const t = await tenant(s);
    const mcp = await startMcp();
    stops.push(mcp.stop);
    const added = await s.ok<{ addMcpServer: { id: string } }, Vars>(
      ADD,
      { n: 'calc', u: mcp.url, a: 'Bearer s3cret-token' },
      t.as(t.admin),
    );
    expect(added.addMcpServer).toMatchObject({ name: 'calc', url: mcp.url, hasAuthorization: true });
    const listed = await s.gql(LIST, {}, t.as(t.admin));
    expect(listed.data).toEqual({
      mcpServers: [expect.objectContaining({ id: added.addMcpServer.id, name: 'calc', hasAuthorization: true })],
    });
    expect(JSON.stringify(listed)).not.toContain('s3cret');
    expect(JSON.stringify(added)).not.toContain('s3cret');

    const tools = await s.ok<{ chatTools: { name: string; source: string; description: string }[] }, Vars>(TOOLS, {}, t.as(t.member));
    expect(tools.chatTools.filter((x) => x.source === 'MCP')).toEqual([
      expect.objectContaining({ name: 'calc__add', description: 'Adds two numbers.' }),
      expect.objectContaining({ name: 'calc__refuse' }),
    ]);

    const { events } = await chatOnce(s, { message: '/tool calc__add {"a": 2, "b": 40}' }, t.as(t.member));
    expect(resultOf(events)).toEqual({ output: '42', isError: false });
    expect(events.at(-1)).toMatchObject({ __typename: 'ChatCompleted', answer: { content: 'Tool calc__add returned: "42"' } });
    const refused = await chatOnce(s, { message: '/tool calc__refuse {}' }, t.as(t.member));
    expect(resultOf(refused.events)).toEqual({ output: 'no, never', isError: true });
    expect(mcp.authorizations.length).toBeGreaterThan(0);
    expect(new Set(mcp.authorizations)).toEqual(new Set(['Bearer s3cret-token']));

    // Another tenant neither sees nor calls them.
    const other = await tenant(s);
    const theirs = await s.ok<{ chatTools: { source: string }[] }, Vars>(TOOLS, {}, other.as(other.member));
    expect(theirs.chatTools.every((x) => x.source === 'BUILT_IN')).toBe(true);
    const elsewhere = await chatOnce(s, { message: '/tool calc__add {"a": 1, "b": 1}' }, other.as(other.member));
    expect(resultOf(elsewhere.events)).toMatchObject({ isError: true, output: expect.stringMatching(/^Unknown tool "calc__add"/) });
    expect(code(await s.gql(REMOVE, { id: added.addMcpServer.id }, other.as(other.admin)))).toBe('NOT_FOUND');

    // A preset may name them; removed, they are offered no more.
    const CREATE = 'mutation($t: [String!]) { createChatPreset(name: "calc", model: "parley-echo", tools: $t) { tools } }';
    expect(await s.ok(CREATE, { t: ['calc__add'] }, t.as(t.admin))).toEqual({ createChatPreset: { tools: ['calc__add'] } });
    expect(await s.ok(REMOVE, { id: added.addMcpServer.id }, t.as(t.admin))).toEqual({ removeMcpServer: added.addMcpServer.id });
    const after = await s.ok<{ chatTools: { source: string }[] }, Vars>(TOOLS, {}, t.as(t.member));
    expect(after.chatTools.every((x) => x.source === 'BUILT_IN')).toBe(true);
  });

  it('are for admins alone, checked (name, url, at most 10, names unique)', async () => {
    const s = server();
    const t = await tenant(s);
    expect(code(await s.gql(ADD, { n: 'calc', u: 'http://127.0.0.1:1/mcp' }, t.as(t.member)))).toBe('FORBIDDEN');
    const listed = await s.gql(LIST, {}, t.as(t.member));
    expect([code(listed), listed.data]).toEqual(['FORBIDDEN', null]);
    expect(code(await s.gql(LIST, {}, { clientId: t.clientId }))).toBe('UNAUTHENTICATED');

    const bad = async (vars: Vars, field: string) => {
      const r = await s.gql(ADD, vars, t.as(t.admin));
      expect([code(r), r.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', field]);
    };
    await bad({ n: 'Calc', u: 'http://127.0.0.1:1/mcp' }, 'name');
    await bad({ n: 'x'.repeat(33), u: 'http://127.0.0.1:1/mcp' }, 'name');
    await bad({ n: 'a__b', u: 'http://127.0.0.1:1/mcp' }, 'name');
    await bad({ n: 'ok', u: 'ftp://127.0.0.1/mcp' }, 'url');
    await bad({ n: 'ok', u: 'javascript:alert(1)' }, 'url');
    await bad({ n: 'ok', u: 'not a url' }, 'url');
    await bad({ n: 'ok', u: 'http://user:pw@127.0.0.1/mcp' }, 'url');
    await bad({ n: 'ok', u: 'http://127.0.0.1/mcp', a: 'Bearer x\r\nX-Evil: 1' }, 'authorization');

    const made = await s.ok<{ addMcpServer: { id: string; hasAuthorization: boolean } }, Vars>(
      ADD,
      { n: 's0', u: 'http://127.0.0.1:1/mcp' },
      t.as(t.admin),
    );
    expect(made.addMcpServer.hasAuthorization).toBe(false);
    expect(code(await s.gql(ADD, { n: 's0', u: 'http://127.0.0.1:2/mcp' }, t.as(t.admin)))).toBe('CONFLICT');
    for (let i = 1; i < 10; i++) await s.ok(ADD, { n: `s${i}`, u: 'http://127.0.0.1:1/mcp' }, t.as(t.admin));
    const eleventh = await s.gql(ADD, { n: 's10', u: 'http://127.0.0.1:1/mcp' }, t.as(t.admin));
    expect([code(eleventh), eleventh.errors![0].extensions!.reason]).toEqual(['BAD_USER_INPUT', 'MCP_SERVER_LIMIT']);
    expect(code(await s.gql(REMOVE, { id: made.addMcpServer.id }, t.as(t.member)))).toBe('FORBIDDEN');
    expect(code(await s.gql(REMOVE, { id: 'no-such-id' }, t.as(t.admin)))).toBe('NOT_FOUND');

    // Ten servers that cannot be reached: the answer still comes, with the built-ins.
    const { events } = await chatOnce(s, { message: '/tool current_time {}' }, t.as(t.member));
    expect(resultOf(events).isError).toBe(false);
    expect(events.at(-1)!.__typename).toBe('ChatCompleted');
  });

  it('give an error result, not a failed answer, when the server has stopped', async () => {
    const s = server();
    const t = await tenant(s);
    const mcp = await startMcp();
    await s.ok(ADD, { n: 'calc', u: mcp.url }, t.as(t.admin));
    const first = await chatOnce(s, { message: '/tool calc__add {"a": 1, "b": 2}' }, t.as(t.member));
    expect(resultOf(first.events)).toEqual({ output: '3', isError: false });
    expect(mcp.authorizations).toEqual(expect.arrayContaining([undefined]));
    await mcp.stop();
    // Its tools are still listed from the last minute; calling one fails as a result the model reads.
    const { events } = await chatOnce(s, { message: '/tool calc__add {"a": 1, "b": 2}' }, t.as(t.member));
    expect(resultOf(events)).toMatchObject({ isError: true, output: expect.stringMatching(/^The MCP server "calc" did not answer/) });
    expect(events.at(-1)!.__typename).toBe('ChatCompleted');
  });
});
