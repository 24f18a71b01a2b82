// Tenants: isolated user spaces named by X-Client-ID. Looked up on every request, so kept in a short cache; a
// tenant disabled from the CLI stops working within TENANT_CACHE_MS on every instance.
import type { PrismaClient, Tenant } from '../generated/prisma/client.ts';
import { AppError, badInput, isUniqueViolation } from '../errors.ts';

const TENANT_CACHE_MS = 5_000;
export const DEFAULT_TENANT = 'default';
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export class TenantService {
  private cache = new Map<string, { tenant: Tenant | null; at: number }>();
  constructor(private readonly prisma: PrismaClient) {}

  /** The active tenant for a client id (or the default), else TENANT_NOT_FOUND. */
  async resolve(clientId: string | null | undefined, requireClientId: boolean): Promise<Tenant> {
    const id = clientId?.trim() || (requireClientId ? '' : DEFAULT_TENANT);
    if (!id) throw new AppError('TENANT_NOT_FOUND', 'This server requires a client id: send the X-Client-ID header.');
    const hit = this.cache.get(id);
    let tenant: Tenant | null;
    if (hit && Date.now() - hit.at < TENANT_CACHE_MS) tenant = hit.tenant;
    else {
      tenant = ID_PATTERN.test(id) ? await this.prisma.tenant.findUnique({ where: { id } }) : null;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(id, { tenant, at: Date.now() });
    }
    if (!tenant || tenant.disabled) {
      throw new AppError('TENANT_NOT_FOUND', `Unknown or disabled client id "${id.slice(0, 64)}".`);
    }
    return tenant;
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

  async setDisabled(id: string, disabled: boolean): Promise<Tenant> {
    const found = await this.prisma.tenant.findUnique({ where: { id } });
    if (!found) throw new AppError('TENANT_NOT_FOUND', `Tenant "${id}" does not exist.`);
    this.cache.delete(id);
    return this.prisma.tenant.update({ where: { id }, data: { disabled } });
  }
}
