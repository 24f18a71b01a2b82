// What a tool is to the assistant: a name the model calls, a JSON schema of its input, and a function run on the
// server with the asking user's rights. Built-ins live in built-ins.ts, a tenant's MCP servers' tools in mcp-client.ts;
// the registry (registry.ts) picks the ones an answer may use.
import type { JSONSchema7 } from '@ai-sdk/provider';
import type { Messaging } from '../../messaging/messaging.service.ts';

/** Where a tool comes from: Parley itself, or one of the tenant's MCP servers. */
export type ToolSource = 'BUILT_IN' | 'MCP';

/** The services tools read through: the same ones the GraphQL resolvers call, with the viewer's actor. */
export type ToolServices = Pick<Messaging, 'search' | 'messages' | 'conversations'>;

/** Who a tool runs for. A guest (userId null) gets no tool that reads anything of anyone's. */
export interface ToolContext {
  tenantId: string;
  userId: string | null;
  services: ToolServices | null;
  /** Fires when the answer stops, times out, or the tool's own time is up. */
  signal: AbortSignal;
}

export interface ChatTool {
  /** What the model calls: [A-Za-z0-9_-]{1,64}; an MCP tool is `<server>__<tool>`. */
  name: string;
  description: string;
  inputSchema: JSONSchema7;
  source: ToolSource;
  /** Runs the tool; throws for a failure (the model sees the message). `input` is unchecked JSON from the model. */
  run(input: unknown, ctx: ToolContext): Promise<ToolOutput>;
}

/** A tool's answer: JSON for the model; isError when the tool itself reports a failure (an MCP tool can). */
export interface ToolOutput {
  output: unknown;
  isError?: boolean;
}

/** A tool's failure the model may read (its message is shown); any other error is reported as a generic one. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** The names a model accepts for a function tool (OpenAI's and Anthropic's rule). */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
