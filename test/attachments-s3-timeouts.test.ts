// S3 that stops answering: a bucket behind a proxy that can go silent (it keeps accepting connections and reading
// requests, and never answers again). Uploads and downloads fail as SERVICE_UNAVAILABLE within the S3 timeouts instead
// of hanging, and so does stopping the server. A HEAD of an attachment asks S3 for its size, not its bytes.
import { describe, expect, it } from 'vitest';
import { createConnection, createServer, type Socket } from 'node:net';
import { startServer, testConfig } from './helpers/server.ts';
import { codeOf, reasonOf, startS3, upload, uploaded } from './helpers/attachments.ts';

/** A TCP proxy to 127.0.0.1:`port` that logs each HTTP request line it forwards and, once silenced, forwards nothing. */
async function silenceableProxy(port: number) {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let silent = false;
  const server = createServer((client) => {
    const upstream = createConnection(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {}).on('close', () => (sockets.delete(socket), client.destroy(), upstream.destroy()));
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (silent) return;
      requests.push(...(chunk.toString('latin1').match(/^(GET|HEAD|PUT|POST|DELETE) \S+/gm) ?? []));
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    requests,
    silence: () => void (silent = true),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('attachments on an S3 that stops answering', () => {
  // Each call that gives up takes two attempts of a second and a backoff, and the refused upload also tries to delete
  // what it stored: some seconds each, more on a busy machine.
  it('HEAD reads the size alone; uploads, downloads and stop() give up after the S3 timeouts', { timeout: 120_000 }, async () => {
    const s3 = await startS3();
    const proxy = await silenceableProxy(Number(new URL(s3.env.S3_ENDPOINT).port));
    const s = await startServer({
      ...s3.env,
      S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      S3_CONNECTION_TIMEOUT_MS: '500',
      S3_REQUEST_TIMEOUT_MS: '1000',
    });
    let stopped = false;
    try {
      const user = await s.user();
      const file = await uploaded(s, user.token, Buffer.from('twelve bytes'), 'head.txt');
      proxy.requests.length = 0;
      const head = await fetch(file.url, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-length')]).toEqual([200, '12']);
      expect(proxy.requests.map((r) => r.split(' ')[0])).toEqual(['HEAD']);
      const get = await fetch(file.url);
      expect([get.status, await get.text(), get.headers.get('content-length')]).toEqual([200, 'twelve bytes', '12']);

      proxy.silence();
      const refused = await upload(s, user.token, Buffer.from('into the void'), 'void.txt');
      expect([codeOf(refused), reasonOf(refused), refused.errors?.[0].extensions?.retryable]).toEqual([
        'SERVICE_UNAVAILABLE',
        'STORAGE_UNAVAILABLE',
        true,
      ]);
      const unreadable = await fetch(file.url);
      expect([unreadable.status, (await unreadable.json()).code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
      const unmeasured = await fetch(file.url, { method: 'HEAD' });
      expect(unmeasured.status).toBe(503);
      // Stopping waits for no S3 call: the sweeper's and the requests' have all given up.
      await s.stop();
      stopped = true;
    } finally {
      if (!stopped) await s.stop();
      await proxy.close();
      await s3.stop();
    }
  });

  it('refuses S3 timeouts out of range, naming them', () => {
    expect(() => testConfig({ S3_CONNECTION_TIMEOUT_MS: '10' })).toThrow(/S3_CONNECTION_TIMEOUT_MS/);
    expect(() => testConfig({ S3_REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/S3_REQUEST_TIMEOUT_MS/);
    expect(testConfig({}).S3_REQUEST_TIMEOUT_MS).toBe(30_000);
  });
});
