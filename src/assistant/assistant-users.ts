// Each tenant's assistant: a bot user (username `assistant`, User.bot) that writes the answers to @assistant in
// conversations. It is made the first time a tenant needs it; it has no password anyone knows and never signs in
// (AccountService.signIn treats a bot as an unknown account). `assistant` is a reserved username
// (accounts/credentials.ts); a tenant where a person took it before it was reserved has no assistant.
import { LRUCache } from 'lru-cache';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { isUniqueViolation } from '../errors.ts';

export const ASSISTANT_USERNAME = 'assistant';

/** The assistant user of a tenant: enough to write as it. */
export interface AssistantUser {
  id: string;
  name: string;
}

/** Tenants whose assistant is remembered (an id never changes; a tenant without one is asked again after a minute). */
const MAX_TENANTS = 10_000;

export class AssistantUsers {
  /** Each tenant's assistant; fetch() looks a tenant up once however many mentions arrive together. */
  private readonly known = new LRUCache<string, AssistantUser | 'none'>({
    max: MAX_TENANTS,
    ttl: 60_000,
    fetchMethod: async (tenantId) => (await this.find(tenantId)) ?? (await this.create(tenantId)) ?? 'none',
  });

  constructor(private readonly prisma: PrismaClient) {}

  /** The tenant's assistant, made on first use; null when a person holds the username. */
  async of(tenantId: string): Promise<AssistantUser | null> {
    const found = await this.known.fetch(tenantId);
    return found && found !== 'none' ? found : null;
  }

  private async find(tenantId: string): Promise<AssistantUser | null | undefined> {
    const user = await this.prisma.user.findUnique({
      where: { tenantId_username: { tenantId, username: ASSISTANT_USERNAME } },
      select: { id: true, name: true, bot: true },
    });
    if (!user) return undefined;
    return user.bot ? { id: user.id, name: user.name } : null;
  }

  private async create(tenantId: string): Promise<AssistantUser | null> {
    try {
      return await this.prisma.user.create({
        data: {
          tenantId,
          email: 'assistant@parley.invalid',
          name: 'Assistant',
          username: ASSISTANT_USERNAME,
          // Not a bcrypt hash: no password matches it (and signIn refuses bots before comparing).
          passwordHash: '!',
          emailVerified: true,
          bot: true,
        },
        select: { id: true, name: true },
      });
    } catch (err) {
      // Made at the same moment by another request or instance, or a person has that email.
      if (isUniqueViolation(err)) return (await this.find(tenantId)) ?? null;
      throw err;
    }
  }
}
