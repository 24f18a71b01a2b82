// better-auth's own client pointed at a test server, with a cookie jar (Node's fetch keeps no cookies), and
// readers for the development outbox.
import { createAuthClient } from 'better-auth/client';
import { jwtClient } from 'better-auth/client/plugins';
import type { TestServer } from './server.ts';

export function authClient(s: TestServer, opts: { clientId?: string } = {}) {
  const jar = new Map<string, string>();
  const client = createAuthClient({
    baseURL: s.url,
    fetchOptions: {
      headers: { Origin: s.url, ...(opts.clientId ? { 'X-Client-ID': opts.clientId } : {}) },
      onRequest(ctx) {
        const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
        if (cookie) ctx.headers.set('cookie', cookie);
      },
      onResponse(ctx) {
        for (const line of ctx.response.headers.getSetCookie()) {
          const [pair] = line.split(';');
          const i = pair.indexOf('=');
          const [k, v] = [pair.slice(0, i), pair.slice(i + 1)];
          if (!v || /Max-Age=0/i.test(line)) jar.delete(k);
          else jar.set(k, v);
        }
      },
    },
    plugins: [jwtClient()],
  });
  return { client, jar };
}

/** The newest outbox mail to `to`, waiting (bounded) for it to be stored. */
export async function lastMail(s: TestServer, to: string, after = new Date(0), timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = await s.db.prisma.outboxMail.findFirst({ where: { to, createdAt: { gt: after } }, orderBy: { createdAt: 'desc' } });
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `token` query parameter (or path segment after reset-password/) of a mail's link. */
export function tokenFromLink(link: string | null): string {
  const url = new URL(link ?? '');
  return url.searchParams.get('token') ?? decodeURIComponent(url.pathname.split('/').pop() ?? '');
}

/**
 * Records the client's socket close from now on; `wait()` resolves with it (at once if it already happened), and
 * its timeout starts only when waiting begins, so slow set-up steps do not eat into it.
 */
export function watchClose(client: import('graphql-ws').Client) {
  let event: { code: number; reason: string } | null = null;
  let notify: (() => void) | null = null;
  client.on('closed', (e) => {
    const c = e as { code: number; reason: string | Buffer };
    event = { code: c.code, reason: String(c.reason) };
    notify?.();
  });
  return {
    wait(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
      if (event) return Promise.resolve(event);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`socket did not close within ${timeoutMs} ms`)), timeoutMs);
        notify = () => {
          clearTimeout(timer);
          resolve(event!);
        };
      });
    },
  };
}
