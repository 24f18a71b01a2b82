// What keeps uploads from being used to exhaust an instance: a multipart body without a credential is refused before
// it is read, one file per request, image work a few at a time behind a bounded queue, and a per-user upload rate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { testConfig, useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { codeOf, dataDir, png, reasonOf, upload, uploaded, UPLOAD } from './helpers/attachments.ts';

const storage = await dataDir();
afterAll(() => storage.remove());

type Answer = { status: number; errors?: { extensions?: Record<string, unknown> }[]; data?: unknown };

/** A multipart request as the spec lays it out: `operations` (one or a batch), `map`, then the file parts. */
async function multipart(
  s: TestServer,
  token: string,
  operations: unknown,
  map: Record<string, string[]>,
  parts: string[],
): Promise<Answer> {
  const form = new FormData();
  form.set('operations', JSON.stringify(operations));
  form.set('map', JSON.stringify(map));
  for (const part of parts) form.set(part, new Blob([await png()], { type: 'image/png' }), `${part}.png`);
  const res = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: res.status, ...((await res.json()) as object) };
}

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

describe('uploads', () => {
  const server = useServer({
    DATA_DIR: storage.dir,
    ATTACHMENT_IMAGE_CONCURRENCY: '1',
    ATTACHMENT_IMAGE_QUEUE: '1',
    RATE_LIMIT_UPLOAD: '3/60',
  });
  let s: TestServer;
  beforeAll(() => {
    s = server();
  });
  const rows = (user: TestUser) => s.services().prisma.attachment.count({ where: { uploaderId: user.id } });

  it('take one file per request: not one part named twice, two parts, a batch, or one variable passed twice', async () => {
    const user = await s.user();
    const two = 'mutation($a: File!, $b: File!) { a: uploadAttachment(file: $a) { id } b: uploadAttachment(file: $b) { id } }';
    const single = { query: UPLOAD, variables: { file: null } };
    const refusals: [unknown, Record<string, string[]>, string[]][] = [
      [{ query: two, variables: { a: null, b: null } }, { 0: ['variables.a', 'variables.b'] }, ['0']],
      [{ query: two, variables: { a: null, b: null } }, { 0: ['variables.a'], 1: ['variables.b'] }, ['0', '1']],
      [[single, single], { 0: ['0.variables.file', '1.variables.file'] }, ['0']],
      [
        {
          query: 'mutation($f: File!) { a: uploadAttachment(file: $f) { id } b: uploadAttachment(file: $f) { id } }',
          variables: { f: null },
        },
        { 0: ['variables.f'] },
        ['0'],
      ],
      [
        {
          query:
            'mutation($f: File!) { ...Up } fragment Up on Mutation { a: uploadAttachment(file: $f) { id } b: uploadAttachment(file: $f) { id } }',
          variables: { f: null },
        },
        { 0: ['variables.f'] },
        ['0'],
      ],
    ];
    for (const [operations, map, parts] of refusals) {
      const answer = await multipart(s, user.token, operations, map, parts);
      expect([codeOf(answer), reasonOf(answer), answer.errors![0].extensions!.limit], JSON.stringify(map)).toEqual([
        'BAD_USER_INPUT',
        'TOO_MANY_FILES',
        1,
      ]);
    }
    expect(await rows(user)).toBe(0);
    const one = await multipart(s, user.token, single, { 0: ['variables.file'] }, ['0']);
    expect(codeOf(one)).toBeUndefined();
    expect(await rows(user)).toBe(1);
  });

  it('decode images one at a time here, with one more waiting; past that SERVICE_UNAVAILABLE, retryable', async () => {
    const user = await s.user();
    const { imageWork } = s.services().attachments;
    let release!: () => void;
    const busy = new Promise<void>((resolve) => (release = resolve));
    const held = imageWork(() => busy);
    // One image waits for the turn the test holds, and finishes once it is given back.
    const waiting = uploaded(s, user.token, await png(), 'waits.png');
    await expect.poll(() => imageWork.pendingCount, { timeout: 10_000 }).toBe(1);
    const refused = await upload(s, user.token, await png(), 'refused.png');
    expect([codeOf(refused), reasonOf(refused), refused.errors![0].extensions!.retryable]).toEqual([
      'SERVICE_UNAVAILABLE',
      'UPLOADS_BUSY',
      true,
    ]);
    release();
    await held;
    expect((await waiting).width).toBe(40);
    expect(await rows(user)).toBe(1);
  });

  it('are counted per user: past RATE_LIMIT_UPLOAD, RATE_LIMITED with retryAfter', async () => {
    const [user, other] = [await s.user(), await s.user()];
    for (let i = 0; i < 3; i++) await uploaded(s, user.token, Buffer.from(`file ${i}`), `${i}.txt`);
    const refused = await upload(s, user.token, Buffer.from('one too many'), 'over.txt');
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.errors![0].extensions!.retryAfter).toBeGreaterThan(0);
    expect(await rows(user)).toBe(3);
    expect((await uploaded(s, other.token, Buffer.from('mine'), 'other.txt')).name).toBe('other.txt');
  });

  it('refuse bad settings, naming them', () => {
    expect(() => testConfig({ ATTACHMENT_IMAGE_CONCURRENCY: '0' })).toThrow(/ATTACHMENT_IMAGE_CONCURRENCY/);
    expect(() => testConfig({ ATTACHMENT_IMAGE_QUEUE: '-1' })).toThrow(/ATTACHMENT_IMAGE_QUEUE/);
    expect(() => testConfig({ RATE_LIMIT_UPLOAD: '60 a minute' })).toThrow(/RATE_LIMIT_UPLOAD/);
    const defaults = testConfig({});
    expect([defaults.ATTACHMENT_IMAGE_CONCURRENCY, defaults.ATTACHMENT_IMAGE_QUEUE, defaults.RATE_LIMIT_UPLOAD]).toEqual([
      2,
      32,
      { max: 60, windowSeconds: 60 },
    ]);
  });
});
