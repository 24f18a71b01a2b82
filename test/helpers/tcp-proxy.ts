// A TCP proxy a test can cut and restore: what a server sees when PostgreSQL (or Redis) restarts. cut() destroys
// every proxied connection and refuses new ones (the port stays bound, so nothing else can take it); restore()
// accepts again. The shared services behind it are never touched.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  port: number;
  /** Connections currently proxied. */
  open(): number;
  /**
   * The next request containing `pattern` (e.g. COMMIT) reaches the server, but its answer is lost: the client's
   * connection is reset. Resolves once the server has answered (so the request took effect).
   */
  loseAnswerTo(pattern: string): Promise<void>;
  /** Drops every connection and refuses (RST) new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let refusing = false;
  let trap: { pattern: string; fired: () => void } | null = null;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    let trapped = false;
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      if (!trapped) upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (trap && chunk.includes(trap.pattern)) {
        // Deliver the request, then lose the answer: the client's socket dies, the server's answer goes nowhere.
        const { fired } = trap;
        trap = null;
        trapped = true;
        upstream.unpipe(client);
        upstream.write(chunk);
        upstream.once('data', () => {
          upstream.destroy();
          fired();
        });
        upstream.resume(); // unpipe() left it paused
        client.resetAndDestroy();
        return;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    open: () => pairs.size,
    loseAnswerTo(pattern) {
      return new Promise<void>((resolve) => (trap = { pattern, fired: resolve }));
    },
    cut() {
      refusing = true;
      for (const { client, upstream } of [...pairs]) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      refusing = false;
    },
    async close() {
      refusing = true;
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Where a postgresql:// or redis:// URL points. */
export function targetOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)) };
}

/** The same URL, pointed at a proxy on 127.0.0.1:`port`. */
export function throughProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}
