// Which tools an answer may use and how a call runs. An answer with a preset gets the preset's tools; any other gets
// every built-in and the tenant's MCP tools; a guest only what needs no account (current_time). A call never throws:
// an unknown tool, input the tool refuses, a failure or a timeout is a result with isError that the model reads.
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { BUILT_IN_TOOLS } from './built-ins.ts';
import { MCP_SEPARATOR, McpClients } from './mcp-client.ts';
import { McpServers } from './mcp-servers.ts';
import { ToolError, type ChatTool, type ToolServices } from './types.ts';

/** The characters of a tool's output (as JSON) the model gets at most; more is cut. */
export const MAX_TOOL_OUTPUT_CHARS = 16_000;

export interface ToolResult {
  output: unknown;
  isError: boolean;
}

/** The tools of one answer, and running them. */
export interface Toolbox {
  tools: ChatTool[];
  call(name: string, input: unknown, signal: AbortSignal): Promise<ToolResult>;
}

/** Who an answer is for: a guest has no userId. `preset` is a preset's tool list when the answer uses one. */
export interface ToolAsker {
  tenantId: string;
  userId: string | null;
  preset?: string[] | null;
}

export class ToolRegistry {
  readonly mcp: McpClients;
  readonly servers: McpServers;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      logger: Logger;
      /** The services the message tools read through; null: those tools are not offered. */
      services: ToolServices | null;
      timeoutMs: number;
      /** How long a tenant's list of MCP servers is kept (TENANT_CACHE_MS). */
      cacheMs: number;
    },
  ) {
    this.mcp = new McpClients({ logger: deps.logger, timeoutMs: deps.timeoutMs });
    this.servers = new McpServers(deps.prisma, this.mcp, deps.cacheMs);
  }

  /** Every tool the tenant's signed-in users may be given: the built-ins, then each MCP server's. */
  async ofTenant(tenantId: string, signal?: AbortSignal): Promise<ChatTool[]> {
    const servers = await this.servers.list(tenantId);
    const remote = await Promise.all(servers.map((s) => this.mcp.tools(s, signal)));
    return [...this.builtIns(), ...remote.flat()];
  }

  /** The tools an answer for `asker` may use. */
  async available(asker: ToolAsker, signal?: AbortSignal): Promise<ChatTool[]> {
    if (!asker.userId) return BUILT_IN_TOOLS.filter((t) => t.forGuests);
    if (asker.preset) {
      const wanted = new Set(asker.preset);
      if (wanted.size === 0) return [];
      // Only the MCP servers the preset names are asked for their tools.
      const serverNames = new Set([...wanted].filter((n) => n.includes(MCP_SEPARATOR)).map((n) => n.split(MCP_SEPARATOR)[0]));
      const servers = serverNames.size ? (await this.servers.list(asker.tenantId)).filter((s) => serverNames.has(s.name)) : [];
      const remote = (await Promise.all(servers.map((s) => this.mcp.tools(s, signal)))).flat();
      return [...this.builtIns(), ...remote].filter((t) => wanted.has(t.name));
    }
    return this.ofTenant(asker.tenantId, signal);
  }

  /** The names of `names` that are no tool of the tenant (for a preset's list). */
  async unknown(tenantId: string, names: string[]): Promise<string[]> {
    if (names.every((n) => this.builtIns().some((t) => t.name === n))) return [];
    const known = new Set((await this.ofTenant(tenantId)).map((t) => t.name));
    return names.filter((n) => !known.has(n));
  }

  /** The toolbox of one answer; null when it has no tools (the model is then offered none). */
  async toolbox(asker: ToolAsker, signal?: AbortSignal): Promise<Toolbox | null> {
    const tools = await this.available(asker, signal);
    if (tools.length === 0) return null;
    return { tools, call: (name, input, s) => this.call(tools, asker, name, input, s) };
  }

  private builtIns(): ChatTool[] {
    return this.deps.services ? BUILT_IN_TOOLS : BUILT_IN_TOOLS.filter((t) => t.forGuests);
  }

  private async call(tools: ChatTool[], asker: ToolAsker, name: string, input: unknown, signal: AbortSignal): Promise<ToolResult> {
    const tool = tools.find((t) => t.name === name);
    if (!tool) return { output: `Unknown tool "${name}". Available: ${tools.map((t) => t.name).join(', ')}.`, isError: true };
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.deps.timeoutMs)]);
    try {
      const ctx = { tenantId: asker.tenantId, userId: asker.userId, services: this.deps.services, signal: bounded };
      const ran = await Promise.race([tool.run(input, ctx), aborted(bounded)]);
      return { output: capped(ran.output), isError: ran.isError === true };
    } catch (err) {
      if (err instanceof ToolError) return { output: err.message, isError: true };
      if (bounded.aborted) return { output: `The tool "${name}" did not answer in time.`, isError: true };
      this.deps.logger.warn('chat tool failed', { tool: name, error: err });
      return { output: `The tool "${name}" failed.`, isError: true };
    }
  }
}

/** Rejects when `signal` fires, so a tool that ignores its signal cannot hold the answer. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** `output` as is when its JSON is short enough, else the start of its JSON text. */
function capped(output: unknown): unknown {
  const json = JSON.stringify(output ?? null) ?? 'null';
  if (json.length <= MAX_TOOL_OUTPUT_CHARS) return output ?? null;
  return `${json.slice(0, MAX_TOOL_OUTPUT_CHARS)}… (cut: the output was ${json.length} characters)`;
}
