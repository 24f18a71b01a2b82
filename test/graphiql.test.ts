// GraphiQL over plain HTTP: the page at /graphql names only this server's own assets, which Parley serves from the
// installed @graphql-yoga/render-graphiql, under a CSP that allows no other host. (browser-graphiql.test.ts runs it.)
import { describe, expect, it } from 'vitest';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startServer, useServer } from './helpers/server.ts';

/** Every URL the page's markup loads (src and href attributes). */
const urlsIn = (html: string) => [...html.matchAll(/\s(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]);

/** The sources of every directive of a CSP header: directive name -> its source expressions. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

/** GET over node:http, which (unlike fetch) hands over the body as sent, compressed or not. */
function rawGet(url: URL, headers: Record<string, string>): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function page(url: string) {
  const res = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
  return { res, html: await res.text() };
}

describe('GraphiQL page', () => {
  const server = useServer();

  it('loads every script, style and icon from this server', async () => {
    const s = server();
    const { res, html } = await page(s.url);
    expect(res.status).toBe(200);
    const urls = urlsIn(html);
    expect(urls.length).toBeGreaterThanOrEqual(4); // icon, stylesheet, start script, GraphiQL
    for (const url of urls) {
      expect(url, url).toMatch(/^\/(?!\/)/); // a path on this server; never //host, a scheme or a CDN
      expect(new URL(url, s.url).origin).toBe(s.url);
    }
    // Inline scripts: only the JSON data block with the options (not executable), no inline code.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    for (const [, attrs, body] of scripts) {
      if (body.trim()) expect(attrs).toContain('type="application/json"');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\son\w+\s*=/i); // no inline event handlers
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('serves each asset the page and its start script use, gzipped when asked', async () => {
    const s = server();
    const { html } = await page(s.url);
    const assets = urlsIn(html).filter((u) => u.startsWith('/graphiql/'));
    const start = assets.find((u) => u.endsWith('/start.js'))!;
    const startJs = await (await fetch(new URL(start, s.url))).text();
    const workers = [...startJs.matchAll(/'([\w.]+\.worker\.js)'/g)].map((m) => start.replace(/start\.js$/, m[1]));
    expect(workers).toHaveLength(3);
    for (const url of [...assets, ...workers]) {
      const plain = await fetch(new URL(url, s.url), { headers: { 'accept-encoding': 'identity' } });
      expect(plain.status, url).toBe(200);
      expect(plain.headers.get('content-type'), url).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(plain.headers.get('cache-control'), url).toContain('immutable');
      const body = Buffer.from(await plain.arrayBuffer());
      expect(body.length, url).toBeGreaterThan(100);
      expect(body.toString('utf8'), url).not.toMatch(/cdn\.jsdelivr|unpkg\.com|esm\.sh/);
    }
    const js = assets.find((u) => u.endsWith('/graphiql.js'))!;
    const zipped = await rawGet(new URL(js, s.url), { 'accept-encoding': 'gzip, deflate' });
    const plain = await rawGet(new URL(js, s.url), {});
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    const refused = await rawGet(new URL(js, s.url), { 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect((await fetch(new URL(js.replace('graphiql.js', 'nope.js'), s.url))).status).toBe(404);
    expect((await fetch(new URL(js.replace('graphiql.js', '..%2Fpackage.json'), s.url))).status).toBe(404);
  });

  it('sends a CSP that names no other host', async () => {
    const s = server();
    const { res } = await page(s.url);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toBeTruthy();
    const policy = directives(csp);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    for (const name of ['script-src', 'connect-src', 'worker-src']) expect(policy.get(name), name).toEqual(["'self'"]);
    for (const name of ['img-src', 'font-src']) expect(policy.get(name), name).toEqual(["'self'", 'data:']);
    expect(policy.get('style-src')).toContain("'self'");
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    for (const [name, sources] of policy) {
      for (const source of sources) expect(`${name} ${source}`).toMatch(/ ('[a-z-]+'|data:)$/); // keywords and data: only
    }
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('is not there, nor its assets, when GraphiQL is off', async () => {
    const s = server();
    const { html } = await page(s.url);
    const asset = urlsIn(html).find((u) => u.endsWith('/graphiql.js'))!;
    const off = await startServer({ GRAPHIQL: 'false' });
    try {
      const res = await fetch(`${off.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      expect((await fetch(new URL(asset, off.url))).status).toBe(404);
    } finally {
      await off.stop();
    }
  });
});
