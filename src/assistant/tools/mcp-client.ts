// A tenant's MCP servers as tools, over Streamable HTTP (@modelcontextprotocol/sdk's Client). Each server's tool list
// is kept for a minute (a failure to list for ten seconds, so a server that is down costs an answer little); every
// list or call opens its own short connection, bounded by CHAT_TOOL_TIMEOUT_MS and the answer's signal. A server that
// is down or answers nonsense gives the model an error result: nothing here throws past ChatTool.run.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LRUCache } from 'lru-cache';
import type { JSONSchema7 } from '@ai-sdk/provider';
import type { McpServer } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { TOOL_NAME, ToolError, type ChatTool } from './types.ts';

/** Between a server's name and its tool's in the name the model sees. */
export const MCP_SEPARATOR = '__';
/** Tools taken from one server at most. */
const MAX_TOOLS_PER_SERVER = 64;
/** The characters of a tool's description the model is shown at most. */
const MAX_DESCRIPTION = 1_000;

type Listed = { tools: ChatTool[] } | { error: string };

export class McpClients {
  private readonly lists = new LRUCache<string, Listed>({ max: 1_000, ttl: 60_000 });

  constructor(
    private readonly deps: {
      logger: Logger;
      /** How long a list or a call may take. */
      timeoutMs: number;
      /** How long a server's tool list is kept (a failure: a sixth of it). */
      cacheMs?: number;
    },
  ) {}

  /** The server's tools as the model sees them (`<server>__<tool>`); none when it cannot be reached. */
  async tools(server: McpServer, signal?: AbortSignal): Promise<ChatTool[]> {
    const key = cacheKey(server);
    let listed = this.lists.get(key);
    if (!listed) {
      const ttl = this.deps.cacheMs ?? 60_000;
      try {
        listed = { tools: await this.list(server, signal) };
        this.lists.set(key, listed, { ttl });
      } catch (err) {
        this.deps.logger.warn('MCP server not listed', { server: server.id, name: server.name, error: err });
        listed = { error: describe(err) };
        this.lists.set(key, listed, { ttl: Math.ceil(ttl / 6) });
      }
    }
    return 'tools' in listed ? listed.tools : [];
  }

  /** Forgets what was listed of a server (it was removed). */
  forget(server: McpServer): void {
    this.lists.delete(cacheKey(server));
  }

  private async list(server: McpServer, signal?: AbortSignal): Promise<ChatTool[]> {
    return this.session(server, signal, async (client, options) => {
      const found: ChatTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, options);
        for (const tool of page.tools) {
          const name = `${server.name}${MCP_SEPARATOR}${tool.name}`;
          // A name a model would refuse is left out rather than failing the whole answer.
          if (!TOOL_NAME.test(name) || found.length >= MAX_TOOLS_PER_SERVER) continue;
          found.push(this.tool(server, tool.name, name, tool.description ?? '', tool.inputSchema as JSONSchema7));
        }
        cursor = page.nextCursor;
      } while (cursor && found.length < MAX_TOOLS_PER_SERVER);
      return found;
    });
  }

  private tool(server: McpServer, remoteName: string, name: string, description: string, inputSchema: JSONSchema7): ChatTool {
    return {
      name,
      description: description.slice(0, MAX_DESCRIPTION) || `${remoteName} (from ${server.name})`,
      inputSchema,
      source: 'MCP',
      run: async (input, ctx) => {
        const args = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
        try {
          const result = await this.session(server, ctx.signal, (client, options) =>
            client.callTool({ name: remoteName, arguments: args }, undefined, options),
          );
          return { output: outputOf(result), isError: result.isError === true };
        } catch (err) {
          throw new ToolError(`The MCP server "${server.name}" did not answer: ${describe(err)}`);
        }
      },
    };
  }

  /** Connects, runs `work` and closes, all within the time limit and the caller's signal. */
  private async session<T>(
    server: McpServer,
    signal: AbortSignal | undefined,
    work: (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>,
  ): Promise<T> {
    const { timeoutMs } = this.deps;
    const bounded = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = server.authorization ? { Authorization: server.authorization } : {};
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers, signal: bounded } });
    const client = new Client({ name: 'parley', version: '1.0.0' });
    const options = { signal: bounded, timeout: timeoutMs };
    try {
      await client.connect(transport, options);
      return await work(client, options);
    } finally {
      await client.close().catch(() => {});
    }
  }
}

const cacheKey = (s: McpServer) => `${s.id}\n${s.url}`;

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').slice(0, 200);
}

/** An MCP result as JSON for the model: its structured content, else its text (one string, or the list of parts). */
function outputOf(result: Awaited<ReturnType<Client['callTool']>>): unknown {
  if (result.structuredContent) return result.structuredContent;
  const content = Array.isArray(result.content) ? result.content : [];
  const parts = content.map((c: { type: string; text?: string; mimeType?: string }) =>
    c.type === 'text' ? c.text : `[${c.type}${c.mimeType ? ` ${c.mimeType}` : ''}]`,
  );
  return parts.length === 1 ? parts[0] : parts;
}
