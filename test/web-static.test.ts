// Serving the web client: files from web/ at /, graphql-ws's browser module under /vendor, nothing else; and the
// development reload stream. Runs everywhere (no browser needed).
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/server.ts';

/** A GET with the path sent exactly as written (fetch would normalise "..", which is what an attacker avoids). */
function rawGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    request({ hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('web client files', () => {
  const server = useServer();

  it('serves index.html at / with a strict content security policy, and GraphiQL stays at /graphql', async () => {
    const s = server();
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self';"); // no other hosts, WebSocket included
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/js/main.js"></script>');
    expect(html).not.toContain('dev-reload'); // only with WEB_LIVE_RELOAD
    const graphiql = await fetch(`${s.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toMatch(/graphiql/i);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('serves every module the client imports, with JavaScript and CSS content types', async () => {
    const s = server();
    const dir = join(process.cwd(), 'web', 'js');
    const imports = new Set(['/js/main.js', '/style.css', '/favicon.svg']);
    for (const file of await readdir(dir)) {
      const source = await readFile(join(dir, file), 'utf8');
      for (const [, spec] of source.matchAll(/from '([^']+)'/g))
        imports.add(spec.startsWith('/') ? spec : `/js/${spec.replace(/^\.\//, '')}`);
    }
    expect(imports).toContain('/vendor/graphql-ws/client.js');
    for (const path of imports) {
      const res = await fetch(s.url + path);
      expect(res.status, path).toBe(200);
      const type = res.headers.get('content-type');
      if (path.endsWith('.js')) expect(type, path).toBe('text/javascript; charset=utf-8');
      if (path.endsWith('.css')) expect(type, path).toBe('text/css; charset=utf-8');
      if (path.endsWith('.svg')) expect(type, path).toBe('image/svg+xml');
    }
    // The vendor module's own import resolves too.
    const client = await (await fetch(`${s.url}/vendor/graphql-ws/client.js`)).text();
    const chunk = client.match(/from '\.\/([^']+)'/)![1];
    expect((await fetch(`${s.url}/vendor/graphql-ws/${chunk}`)).status).toBe(200);
  });

  it('revalidates with ETag (304) and answers HEAD without a body', async () => {
    const s = server();
    const first = await fetch(`${s.url}/js/api.js`);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await fetch(`${s.url}/js/api.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const head = await fetch(`${s.url}/style.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect(await head.text()).toBe('');
    const post = await fetch(`${s.url}/index.html`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 404 for unknown files, folders, dot-files and anything outside web/', async () => {
    const s = server();
    for (const path of [
      '/nope.js',
      '/js',
      '/js/',
      '/../package.json',
      '/%2e%2e/package.json',
      '/js/%2e%2e/%2e%2e/src/app.ts',
      '/..%2fsrc%2fapp.ts',
      '/%2e%2e%5csrc%5capp.ts',
      '/.env',
      '/%00index.html',
      '/%E0%A4%A',
      '/vendor/graphql-ws/index.js',
      '/vendor/graphql-ws/../package.json',
      '/vendor/graphql-ws/%2e%2e%2fpackage.json',
      '/vendor/other/client.js',
      '/__dev/reload',
    ]) {
      expect(await rawGet(s.url, path), path).toBe(404);
    }
  });
});

describe('web client live reload (npm run dev)', () => {
  const server = useServer({ WEB_LIVE_RELOAD: 'true' });

  it('adds the reload script to the page and streams the boot id', async () => {
    const s = server();
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html).toContain('<script type="module" src="/js/dev-reload.js"></script>\n</body>');
    const controller = new AbortController();
    const res = await fetch(`${s.url}/__dev/reload`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toMatch(/^retry: 500\ndata: [0-9a-f-]{36}\n\n/);
    controller.abort();
  });
});
