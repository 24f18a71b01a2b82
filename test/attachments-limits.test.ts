// What keeps uploads from being used to exhaust an instance: a multipart body without a credential is refused before
// it is read, one file per request, image work a few at a time behind a bounded queue, and a per-user upload rate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { useServer, type TestServer } from './helpers/server.ts';
import { dataDir } from './helpers/attachments.ts';

const storage = await dataDir();
afterAll(() => storage.remove());

/**
 * Sends the head of a multipart POST announcing `length` bytes, and one part of its body, never the rest: resolves
 * with the status and body the server answers before it has the body (a server waiting for it answers nothing).
 */
function headOnly(url: string, length: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(length), ...headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode!, body });
        req.destroy();
      });
    });
    req.write('--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n');
  });
}

describe('uploads without a credential', () => {
  const server = useServer({ DATA_DIR: storage.dir, MAX_UPLOAD_BYTES: String(8 * 1024 * 1024) });
  let s: TestServer;
  beforeAll(async () => {
    s = server();
  });

  it('are refused from their headers, before the body is read', async () => {
    const announced = 8 * 1024 * 1024;
    for (const headers of <Record<string, string>[]>[
      {},
      { cookie: 'better-auth.session_token=x' },
      { 'x-client-id': 'default' },
      { authorization: 'Basic eDp5' },
    ]) {
      const answer = await headOnly(s.url, announced, headers);
      expect([answer.status, JSON.parse(answer.body).errors[0].extensions.code], JSON.stringify(headers)).toEqual([401, 'UNAUTHENTICATED']);
    }
  });
});
