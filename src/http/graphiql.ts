// GraphiQL at GET /graphql (Accept: text/html) with every asset served by Parley from @graphql-yoga/render-graphiql.
// Yoga's default page loads GraphiQL from a CDN, which leaves a blank page without internet. This page is markup
// only: the editor's script, its styles, Monaco's web workers and a small start script are files under
// /graphiql/<version>/, its options a JSON data block, so its CSP lets scripts come from this server alone.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

const PACKAGE = '@graphql-yoga/render-graphiql';
const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve(PACKAGE)), 'utf8')).version;
/** Where the assets live; the version in the path lets browsers keep them until Parley ships another one. */
export const GRAPHIQL_ASSET_PATH = `/graphiql/${VERSION}/`;

/**
 * The page's CSP: nothing from anywhere but this server. Fonts and images are data: URIs inside the stylesheet;
 * 'self' in connect-src also covers ws:/wss: to this host (CSP3), which subscriptions use. Styles allow
 * 'unsafe-inline' because the editor (Monaco) writes its theme and layout rules into <style> elements at run time,
 * with content no hash can know in advance and no hook for a nonce; with scripts, connections, images and fonts
 * held to this server, such a style can neither run code nor send anything away.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Runs before GraphiQL's script: Monaco reads MonacoEnvironment as it loads. Then starts GraphiQL with the page's options. */
const START_JS = `'use strict';
// Monaco's workers come from this server, beside this script (the package's own page makes blob: URLs of them).
const assets = document.currentScript.src.replace(/[^/]*$/, '');
const workers = { editorWorkerService: 'editor.worker.js', json: 'json.worker.js', graphql: 'graphql.worker.js' };
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => assets + workers[label] };
document.addEventListener('DOMContentLoaded', () => {
  const options = JSON.parse(document.getElementById('graphiql-options').textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
});
`;

type AssetExports = typeof import('@graphql-yoga/render-graphiql/graphiql');
const JS = 'text/javascript; charset=utf-8';
/** File name -> the package export (or Parley's start script) it serves, and its type. */
const ASSETS: Record<string, { content: (m: AssetExports) => string; type: string }> = {
  'start.js': { content: () => START_JS, type: JS },
  'graphiql.js': { content: (m) => m.js, type: JS },
  'graphiql.css': { content: (m) => m.css, type: 'text/css; charset=utf-8' },
  'editor.worker.js': { content: (m) => m.editorWorkerService, type: JS },
  'json.worker.js': { content: (m) => m.jsonWorker, type: JS },
  'graphql.worker.js': { content: (m) => m.graphqlWorker, type: JS },
};

/** What the editor shows on a first visit: example operations to run as they are. */
export const GRAPHIQL_DEFAULT_QUERY = `# Welcome to Parley. Sign up, then send the token as a header:
#   { "Authorization": "Bearer <token>" }
mutation SignUp {
  signUp(input: { email: "ada@example.com", password: "correct horse battery", name: "Ada" }) {
    token
    user { id name }
  }
}

query Me {
  me { id name email }
}

# AI chat (works signed out too, as a guest). With no provider configured it answers with the offline parley-echo.
subscription Chat {
  chat(input: { message: "Hello! What can you do?" }) {
    __typename
    ... on ChatStarted { assistantMessageId session { id title } }
    ... on ChatToken { index delta }
    ... on ChatCompleted { answer { content } usage { totalTokens } }
    ... on ChatStopped { answer { content } }
    ... on ChatError { code message answer { content } }
  }
}
`;

/** Yoga's `renderGraphiQL`: the page, referring to the assets by path. */
export function renderGraphiQLPage(opts: GraphiQLOptions): string {
  const options = { favicon: '/favicon.svg', ...opts };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
<link rel="icon" href="${escapeHtml(options.favicon)}">
<link rel="stylesheet" href="${GRAPHIQL_ASSET_PATH}graphiql.css">
<script type="application/json" id="graphiql-options">${JSON.stringify(options).replace(/</g, '\\u003c')}</script>
<script src="${GRAPHIQL_ASSET_PATH}start.js"></script>
<script src="${GRAPHIQL_ASSET_PATH}graphiql.js"></script>
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
</body>
</html>
`;
}

/** A yoga plugin that gives the GraphiQL page (yoga's only HTML answer) its CSP and the usual browser headers. */
export function graphiqlPageHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      response.headers.set('content-type', 'text/html; charset=utf-8');
      response.headers.set('content-security-policy', GRAPHIQL_CSP);
      response.headers.set('x-frame-options', 'DENY');
      response.headers.set('x-content-type-options', 'nosniff');
      response.headers.set('referrer-policy', 'no-referrer');
      response.headers.set('cache-control', 'no-cache');
    },
  };
}

interface Encoded {
  identity: Buffer;
  gzip: Buffer;
}

/**
 * Serves the assets. The package (about 9 MB of JavaScript and CSS) is loaded on the first request for one, not at
 * start-up, and each asset is gzipped once and kept by this object, which the app holds only when GraphiQL is on.
 */
export class GraphiQLAssets {
  private readonly encoded = new Map<string, Promise<Encoded>>();
  private module: Promise<AssetExports> | null = null;

  /** Answers the request when `path` names an asset and returns true; false when it names none (the caller's 404). */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (!path.startsWith(GRAPHIQL_ASSET_PATH)) return false;
    const name = path.slice(GRAPHIQL_ASSET_PATH.length);
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed');
      return true;
    }
    const body = await this.encode(name, asset.content);
    const gzipped = acceptsGzip(req.headers['accept-encoding']);
    const bytes = gzipped ? body.gzip : body.identity;
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': String(bytes.length),
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
    return true;
  }

  private encode(name: string, content: (m: AssetExports) => string): Promise<Encoded> {
    let encoded = this.encoded.get(name);
    if (!encoded) {
      this.module ??= import('@graphql-yoga/render-graphiql/graphiql');
      encoded = this.module.then(async (m) => {
        const identity = Buffer.from(content(m));
        return { identity, gzip: await promisify(gzip)(identity) };
      });
      // A failed load is not kept: the next request tries again.
      encoded.catch(() => {
        this.module = null;
        this.encoded.delete(name);
      });
      this.encoded.set(name, encoded);
    }
    return encoded;
  }
}

/** Whether an Accept-Encoding header takes gzip (named or `*`, and not with q=0). */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
