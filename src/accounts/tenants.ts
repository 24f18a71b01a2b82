// Tenants: isolated user spaces named by X-Client-ID. Looked up on every request, so kept in a short cache
// (TENANT_CACHE_MS). Disabling or enabling one publishes `tenants:changed`: every instance the event reaches drops
// its cached copy and closes the tenant's connections at once (realtime/connections.ts); an instance it cannot reach
// (the tenants CLI without Redis) notices within TENANT_CACHE_MS, when its cache expires and it re-checks the
// tenants of its open connections.
import { LRUCache } from 'lru-cache';
import type { PrismaClient, Tenant } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { AppError, badInput, isUniqueViolation } from '../errors.ts';

export const DEFAULT_TENANT = 'default';
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Client ids remembered (unknown ones too, so a flood of made-up ids costs one read each); least recently used go. */
export const MAX_TENANTS_CACHED = 10_000;

export interface TenantServiceOptions {
  /** Where status changes are announced; absent (a CLI without Redis): running instances re-check on their own. */
  pubsub?: Pick<ParleyPubSub, 'publish'>;
  /** How long a looked-up tenant is reused (TENANT_CACHE_MS); 0 or absent: read every time. */
  cacheMs?: number;
  /** How many client ids to remember; MAX_TENANTS_CACHED unless a test asks for fewer. */
  maxCached?: number;
}

export class TenantService {
  /** Looked-up client ids (null: no such tenant) for `cacheMs`; none without it. */
  private readonly cache: LRUCache<string, { tenant: Tenant | null }> | null;
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: TenantServiceOptions = {},
  ) {
    const ttl = options.cacheMs ?? 0;
    this.cache = ttl > 0 ? new LRUCache({ max: options.maxCached ?? MAX_TENANTS_CACHED, ttl }) : null;
  }

  /** The active tenant for a client id (or the default), else TENANT_NOT_FOUND. */
  async resolve(clientId: string | null | undefined, requireClientId: boolean): Promise<Tenant> {
    const id = clientId?.trim() || (requireClientId ? '' : DEFAULT_TENANT);
    if (!id) throw new AppError('TENANT_NOT_FOUND', 'This server requires a client id: send the X-Client-ID header.');
    let tenant = this.cache?.get(id)?.tenant;
    if (tenant === undefined) {
      tenant = ID_PATTERN.test(id) ? await this.prisma.tenant.findUnique({ where: { id } }) : null;
      this.cache?.set(id, { tenant });
    }
    if (!tenant || tenant.disabled) {
      throw new AppError('TENANT_NOT_FOUND', `Unknown or disabled client id "${id.slice(0, 64)}".`);
    }
    return tenant;
  }

  /** Drops the cached copy of a tenant (its status changed): the next request reads it again. */
  forget(id: string) {
    this.cache?.delete(id);
  }

  /** Which of `ids` name tenants that exist and are not disabled. */
  async activeAmong(ids: string[]): Promise<string[]> {
    const rows = await this.prisma.tenant.findMany({ where: { id: { in: ids }, disabled: false }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  async add(id: string, name?: string): Promise<Tenant> {
    if (!ID_PATTERN.test(id)) throw badInput('Tenant id must be 1-63 characters of a-z, 0-9, "_" and "-".', 'id');
    try {
      return await this.prisma.tenant.create({ data: { id, name: name?.trim() || id } });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', `Tenant "${id}" already exists.`);
      throw err;
    }
  }

  list(): Promise<Tenant[]> {
    return this.prisma.tenant.findMany({ orderBy: { createdAt: 'asc' } });
  }

  /** Disables (its requests refused, its connections closed with 4403) or enables a tenant. */
  async setDisabled(id: string, disabled: boolean): Promise<Tenant> {
    const found = await this.prisma.tenant.findUnique({ where: { id } });
    if (!found) throw new AppError('TENANT_NOT_FOUND', `Tenant "${id}" does not exist.`);
    const tenant = await this.prisma.tenant.update({ where: { id }, data: { disabled } });
    this.forget(id);
    this.options.pubsub?.publish('tenants:changed', { tenantId: id, disabled });
    return tenant;
  }
}
