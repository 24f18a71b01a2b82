// The one context every resolver sees, whether the operation came over HTTP, SSE or WebSocket.
import type { PrismaClient, Tenant } from '../generated/prisma/client.ts';
import type { RequestInfo, Viewer } from '../accounts/accounts.types.ts';
import type { Services } from '../services.ts';
import { AppError } from '../errors.ts';

export interface Context {
  requestId: string;
  transport: 'http' | 'ws';
  tenant: Tenant;
  /** The signed-in user and their session, or null for a guest. */
  viewer: Viewer | null;
  /** Tenant, client IP and user agent, as services want them. */
  client: RequestInfo;
  prisma: PrismaClient;
  services: Services;
}

/** The signed-in viewer, or UNAUTHENTICATED. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw new AppError('UNAUTHENTICATED');
  return ctx.viewer;
}
