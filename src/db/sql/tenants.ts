// Statements on tenants that Prisma cannot express.
import type { RawClient } from './statement.ts';

/**
 * Locks the tenant's row until the transaction ends: sign-ups to one tenant take it first, so the first user of a
 * tenant (who becomes its ADMIN) is decided by one sign-up at a time, never by two at once.
 */
export async function lockTenant(tx: RawClient, tenantId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Tenant" WHERE id = ${tenantId} FOR UPDATE`;
}
