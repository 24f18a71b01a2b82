// The web client: plain files from web/ at `/` (index.html for `/`), and the browser ES modules of graphql-ws,
// markdown-it and DOMPurify from node_modules under /vendor/<package>/, so the client needs no build step. GET and
// HEAD only, no directory listings, nothing outside those folders; every file is revalidated (ETag) because the file
// names carry no version.
import { createReadStream, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));
const distOf = (specifier: string) => dirname(fileURLToPath(import.meta.resolve(specifier)));
// Each vendor folder and the files of it served: graphql-ws's client and the shared chunk it imports, markdown-it's
// self-contained browser ES module, DOMPurify's ES module; nothing else of the packages.
const VENDOR: { prefix: string; dir: string; file: RegExp }[] = [
  { prefix: '/vendor/graphql-ws/', dir: distOf('graphql-ws/client'), file: /^(client|common-[\w-]+)\.js$/ },
  { prefix: '/vendor/markdown-it/', dir: join(distOf('markdown-it'), 'browser'), file: /^markdown-it\.esm\.min\.mjs$/ },
  { prefix: '/vendor/dompurify/', dir: distOf('dompurify'), file: /^purify\.es\.mjs$/ },
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

// The page talks only to its own origin (HTTP and WebSocket); no inline scripts or styles.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'", // CSP3: 'self' also covers ws:/wss: to this same host
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface StaticOptions {
  /** Extra markup put before </body> of index.html (the development reload script). */
  injectIntoIndex?: string;
}

/**
 * Serves the request when it names a web client file and returns true; returns false when it names none (the
 * caller answers 404). Paths are decoded, normalised and must stay inside their folder; dot-files are never served.
 */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, path: string, opts: StaticOptions = {}): Promise<boolean> {
  const file = locate(path);
  if (!file) return false;
  let info: Stats;
  try {
    info = await stat(file);
  } catch {
    return false;
  }
  if (!info.isFile()) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('Method not allowed');
    return true;
  }
  const isIndex = file === join(WEB_ROOT, 'index.html');
  const inject = isIndex && opts.injectIntoIndex ? opts.injectIntoIndex : '';
  const etag = `W/"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}${inject ? '-d' : ''}"`;
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': 'no-cache',
    etag,
    'last-modified': info.mtime.toUTCString(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (type.startsWith('text/html')) {
    headers['content-security-policy'] = CSP;
    headers['x-frame-options'] = 'DENY';
  }
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  if (inject) {
    const html = (await readFile(file, 'utf8')).replace('</body>', `${inject}\n</body>`);
    const body = Buffer.from(html);
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
  res.writeHead(200, { ...headers, 'content-length': String(info.size) });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
  return true;
}

/** The file a URL path names, or null when it names none we serve. */
function locate(path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const vendor = VENDOR.find((v) => decoded.startsWith(v.prefix));
  if (vendor) {
    const name = decoded.slice(vendor.prefix.length);
    return vendor.file.test(name) ? join(vendor.dir, name) : null;
  }
  if (decoded === '/') decoded = '/index.html';
  if (decoded.split('/').some((segment) => segment.startsWith('.'))) return null; // also rules out ".."
  const file = resolve(WEB_ROOT, '.' + decoded);
  return file.startsWith(WEB_ROOT.endsWith(sep) ? WEB_ROOT : WEB_ROOT + sep) ? file : null;
}
