// GraphQL shape of the assistant's tools: chatTools (what a viewer's answers may call), and the organisation's MCP
// servers, which its admins manage (mcpServers, addMcpServer, removeMcpServer). Rules live in tools/registry.ts and
// tools/mcp-servers.ts; an Authorization value is sent to its server and never returned.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import type { ChatTool } from './tools/types.ts';
import { MAX_MCP_SERVERS } from './tools/mcp-servers.ts';

const ChatToolSource = builder.enumType('ChatToolSource', {
  description: 'Where a tool comes from.',
  values: {
    BUILT_IN: { description: "Parley's own (current_time, search_messages, read_conversation)." },
    MCP: { description: "One of the organisation's MCP servers (its tools are named `<server>__<tool>`)." },
  } as const,
});

const ChatToolRef = builder.objectRef<ChatTool>('ChatTool').implement({
  description: 'A tool the assistant may call while answering.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What the model calls (and a preset names).' }),
    description: t.exposeString('description', { description: 'What it does, as the model is told.' }),
    source: t.field({ type: ChatToolSource, description: 'Built in, or from an MCP server.', resolve: (tool) => tool.source }),
    inputSchema: t.field({ type: 'JSON', description: 'The JSON schema of its input.', resolve: (tool) => tool.inputSchema }),
  }),
});

builder.prismaObject('McpServer', {
  description:
    "One of the organisation's MCP servers (Streamable HTTP), whose tools the assistant may call. Its authorization is never shown.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Server id.' }),
    name: t.exposeString('name', { description: 'Its name, the prefix of its tools (`<name>__<tool>`).' }),
    url: t.exposeString('url', { description: 'Its Streamable HTTP endpoint.' }),
    hasAuthorization: t.boolean({
      description: 'Whether an Authorization header is sent to it (the value itself is never returned).',
      resolve: (s) => s.authorization !== null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was added.' }),
  }),
});

builder.queryFields((t) => ({
  chatTools: t.field({
    type: [ChatToolRef],
    description:
      "The tools the viewer's answers may use: every built-in and the organisation's MCP tools, or a preset's list. A guest gets current_time alone. An MCP server that cannot be reached lists none.",
    args: { presetId: t.arg.id({ description: "The tools of this preset's answers instead (signed in)." }) },
    resolve: async (_root, { presetId }, ctx) => {
      const { assistant } = ctx.services;
      const tenantId = ctx.tenant.id;
      const userId = ctx.viewer?.user.id ?? null;
      const preset = presetId && ctx.viewer ? await assistant.presets.get(tenantId, String(presetId)) : null;
      return assistant.tools.available({ tenantId, userId, preset: preset?.tools ?? null });
    },
  }),
  mcpServers: t.prismaField({
    type: ['McpServer'],
    authScopes: { admin: true },
    description: "The organisation's MCP servers, by name (admins only).",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.mcpServer.findMany({ ...query, where: { tenantId: requireViewer(ctx).user.tenantId }, orderBy: { name: 'asc' } }),
  }),
}));

builder.mutationFields((t) => ({
  addMcpServer: t.prismaField({
    type: 'McpServer',
    authScopes: { admin: true },
    description: `Adds an MCP server whose tools the organisation's answers may call (admins only; at most ${MAX_MCP_SERVERS}). A name in use is CONFLICT.`,
    args: {
      name: t.arg.string({ required: true, description: '1 to 32 of a-z, 0-9, _ and -: the prefix of its tools.' }),
      url: t.arg.string({ required: true, description: 'Its Streamable HTTP endpoint (http or https).' }),
      authorization: t.arg.string({ description: 'Sent as the Authorization header, e.g. "Bearer <token>"; never returned.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const { user } = requireViewer(ctx);
      const server = await ctx.services.assistant.tools.servers.add(user.tenantId, user.id, args);
      return ctx.prisma.mcpServer.findUniqueOrThrow({ ...query, where: { id: server.id } });
    },
  }),
  removeMcpServer: t.id({
    authScopes: { admin: true },
    description:
      "Removes one of the organisation's MCP servers (admins only); presets naming its tools offer them no more. Returns its id.",
    args: { id: t.arg.id({ required: true, description: 'Server id.' }) },
    resolve: async (_root, { id }, ctx) => {
      await ctx.services.assistant.tools.servers.remove(requireViewer(ctx).user.tenantId, String(id));
      return id;
    },
  }),
}));
