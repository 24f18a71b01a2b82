// GraphQL over HTTP (graphql-http's audit suite) against a running Parley. Every MUST passes; a SHOULD or MAY that
// fails must be listed in DOCUMENTED_EXCEPTIONS with the reason, so a new failure (or a fixed one) fails the test.
import { describe, expect, it } from 'vitest';
import { serverAudits, type AuditResult } from 'graphql-http';
import { useServer } from './helpers/server.ts';

const server = useServer();

/**
 * Audits Parley knowingly does not pass, by audit id. Empty today: app.ts refuses non-JSON POST bodies (415, CSRF)
 * and chunked bodies without Content-Length (411, body limit), but no audit sends either (the audits that omit the
 * content type expect a 4xx, which 415 is).
 */
const DOCUMENTED_EXCEPTIONS: Record<string, string> = {};

describe('GraphQL over HTTP (graphql-http audits)', () => {
  it('passes every MUST, and every SHOULD/MAY not listed as a documented exception', async () => {
    const audits = serverAudits({ url: `${server().url}/graphql`, fetchFn: fetch });
    const failures: { id: string; name: string; reason: string }[] = [];
    for (const audit of audits) {
      const result: AuditResult = await audit.fn();
      if (result.status !== 'ok') failures.push({ id: audit.id, name: audit.name, reason: result.reason });
    }
    expect(audits.length).toBeGreaterThan(50);
    expect(failures.filter((f) => f.name.startsWith('MUST'))).toEqual([]);
    expect(failures.map((f) => f.id).sort()).toEqual(Object.keys(DOCUMENTED_EXCEPTIONS).sort());
  });

  it('keeps refusing form and text bodies (415) and chunked bodies without Content-Length (411)', async () => {
    const url = `${server().url}/graphql`;
    const form = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D',
    });
    expect(form.status).toBe(415);
    const text = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{__typename}"}' });
    expect(text.status).toBe(415);
    const chunked = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob(['{"query":"{__typename}"}']).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
    expect((await chunked.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
