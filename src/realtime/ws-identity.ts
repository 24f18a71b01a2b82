// Who a WebSocket is: the identity its connection_init gives (tenant and session), checked again once the socket is
// registered, and the socket as services.connections holds it (realtime/ws.ts).
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Services } from '../services.ts';
import type { Tenant } from '../generated/prisma/client.ts';
import type { Authenticated } from '../auth/authenticator.ts';
import { viewerFor, type Credential } from '../auth/credentials.ts';
import type { LiveConnection } from './connections.ts';

/** Who a socket's connection_init says it is: its tenant, and the session behind its token (null for a guest). */
export type Identity = { tenant: Tenant; authenticated: Authenticated | null };

/**
 * The tenant of a connection_init's client id and the session behind its credential; null when a token is given but
 * not valid (refused, not downgraded to a guest). Throws AppError for an unknown or disabled tenant.
 */
export async function identify(services: Services, clientId: string | null, credential: Credential): Promise<Identity | null> {
  const tenant = await services.tenants.resolve(clientId, services.config.REQUIRE_CLIENT_ID);
  const authenticated = await viewerFor(services.auth, tenant.id, credential);
  return authenticated || !credential.bearer ? { tenant, authenticated } : null;
}

/** Whether a second look found the same tenant, user and session as the first. */
export function sameIdentity(first: Identity, again: Identity | null): boolean {
  return (
    again !== null &&
    again.tenant.id === first.tenant.id &&
    again.authenticated?.user.id === first.authenticated?.user.id &&
    again.authenticated?.session.id === first.authenticated?.session.id
  );
}

/** A socket as services.connections holds it (a class: no closure per socket). */
export class SocketConnection implements LiveConnection {
  readonly transport = 'ws';
  constructor(
    private readonly socket: WebSocket,
    readonly tenantId: string,
    readonly userId: string | null,
    readonly sessionId: string | null,
    readonly ip: string | null,
  ) {}
  close(code: number, reason: string) {
    this.socket.close(code, reason);
  }
}

/**
 * A random UUID as one flat string. randomUUID() builds its result from ~20 concatenated pieces, a tree of string
 * objects that a string held for the socket's lifetime (its id, in every operation's request id) would keep.
 */
export function flatUUID(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}
