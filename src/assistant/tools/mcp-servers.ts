// A tenant's MCP servers as its admins manage them (mcp.schema.ts): a short name that prefixes its tools' names, a
// Streamable HTTP url and an Authorization value that is sent to the server and never returned.
import type { McpServer, PrismaClient } from '../../generated/prisma/client.ts';
import { AppError, badInput, isUniqueViolation, notFound } from '../../errors.ts';
import { LRUCache } from 'lru-cache';
import type { McpClients } from './mcp-client.ts';

/** Servers a tenant keeps at most. */
export const MAX_MCP_SERVERS = 10;
export const MCP_NAME = /^[a-z0-9_-]{1,32}$/;
const MAX_URL = 2_000;
const MAX_AUTHORIZATION = 4_000;

export interface McpServerInput {
  name: string;
  url: string;
  authorization?: string | null;
}

export class McpServers {
  /**
   * Each tenant's servers, kept `cacheMs` (TENANT_CACHE_MS) so an answer of a tenant without servers costs no
   * statement; dropped here when this instance adds or removes one (another instance sees it within `cacheMs`).
   */
  private readonly cached: LRUCache<string, McpServer[]>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly clients: McpClients,
    cacheMs: number,
  ) {
    // fetch() reads a tenant once however many answers ask at the same moment.
    this.cached = new LRUCache({
      max: 10_000,
      ttl: cacheMs,
      fetchMethod: (tenantId) => this.prisma.mcpServer.findMany({ where: { tenantId }, orderBy: { name: 'asc' } }),
    });
  }

  /** The tenant's servers, by name. */
  async list(tenantId: string): Promise<McpServer[]> {
    // Undefined only when an add or remove here dropped the read under way: it would be out of date.
    return (await this.cached.fetch(tenantId)) ?? this.prisma.mcpServer.findMany({ where: { tenantId }, orderBy: { name: 'asc' } });
  }

  /** Adds a server (the caller checked the admin role); a name in use is CONFLICT. */
  async add(tenantId: string, by: string, input: McpServerInput): Promise<McpServer> {
    if (!MCP_NAME.test(input.name)) throw badInput('A server name is 1 to 32 of a-z, 0-9, _ and -.', 'name');
    if (input.name.includes('__')) throw badInput('A server name may not contain "__" (it separates the tool name).', 'name');
    const url = checkUrl(input.url);
    const authorization = input.authorization?.trim() || null;
    // Sent as a header: a line break would be a header of its own.
    if (authorization && (authorization.length > MAX_AUTHORIZATION || /[\r\n\0]/.test(authorization))) {
      throw badInput(`An authorization value is one line of at most ${MAX_AUTHORIZATION} characters.`, 'authorization');
    }
    if ((await this.prisma.mcpServer.count({ where: { tenantId } })) >= MAX_MCP_SERVERS) {
      throw badInput(`An organisation keeps at most ${MAX_MCP_SERVERS} MCP servers.`, 'name', 'MCP_SERVER_LIMIT');
    }
    try {
      const created = await this.prisma.mcpServer.create({ data: { tenantId, name: input.name, url, authorization, createdById: by } });
      this.cached.delete(tenantId);
      return created;
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'An MCP server of this name exists already.', { field: 'name' });
      throw err;
    }
  }

  /** Removes one of the tenant's servers (NOT_FOUND for any other). */
  async remove(tenantId: string, id: string): Promise<void> {
    const found = await this.prisma.mcpServer.findFirst({ where: { id, tenantId } });
    if (!found) throw notFound('MCP server');
    await this.prisma.mcpServer.deleteMany({ where: { id, tenantId } });
    this.cached.delete(tenantId);
    this.clients.forget(found);
  }
}

function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw badInput('The url is not a URL.', 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput('The url must be http or https.', 'url');
  if (url.username || url.password) throw badInput('Put credentials in `authorization`, not in the url.', 'url');
  if (url.href.length > MAX_URL) throw badInput(`The url is at most ${MAX_URL} characters.`, 'url');
  return url.href;
}
