// The one way Parley's own HTTP routes answer in JSON (/health, /ready, refused /graphql requests, the 404 fallback).
// The REST auth routes write theirs in better-auth's form (no charset, no-store, cookies: auth/rest/router.ts).
import type { ServerResponse } from 'node:http';

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
