// What attachments refuse, each with a stable code: ids a message may not take (unknown, someone else's, sent, another
// tenant's, too many, repeated), files too large or over the quota, empty files, decompression bombs and broken
// images, a file that lies about its type, path tricks in names, uploads without a bearer token or a header no form
// sends, and URLs that are tampered with, expired, or in the hands of someone who is no longer a member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { graphql } from './gql/index.ts';
import { codeOf, dataDir, declaredPng, download, photoWithGps, reasonOf, upload, uploaded, UPLOAD } from './helpers/attachments.ts';

const MAX = 4096;
const QUOTA = 10_000;

const SendFiles = graphql(`
  mutation SendRefused($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      attachments {
        id
        url
      }
    }
  }
`);
const LeaveFiles = graphql(`
  mutation LeaveFiles($c: ID!) {
    leaveConversation(conversationId: $c)
  }
`);
const DeleteWithFiles = graphql(`
  mutation DeleteWithFiles($id: ID!) {
    deleteMessage(id: $id) {
      id
      attachments {
        id
      }
    }
  }
`);

const storage = await dataDir();
afterAll(() => storage.remove());

describe('attachments refuse', () => {
  const server = useServer({ DATA_DIR: storage.dir, MAX_UPLOAD_BYTES: String(MAX), ATTACHMENT_QUOTA_BYTES: String(QUOTA) });
  let s: TestServer;
  let owner: TestUser;
  let member: TestUser;
  let group: string;
  beforeAll(async () => {
    s = server();
    [owner, member] = [await s.user(), await s.user()];
    group = await createConversation(s, [owner, member], 'Refusals');
  });
  const send = (token: string, attachmentIds: string[], clientId?: string, conversationId = group) =>
    s.gql(SendFiles, { input: { conversationId, content: 'files', attachmentIds } }, { token, clientId });
  const file = (token: string, text = 'x', clientId?: string) => uploaded(s, token, Buffer.from(text), 'f.txt', clientId);

  it('ids a message may not take, naming attachmentIds', async () => {
    const mine = await file(owner.token);
    const theirs = await file(member.token);
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const outsider = await s.user({ clientId: tenant });
    const foreign = await file(outsider.token, 'x', tenant);
    for (const ids of [[randomUUID()], [theirs.id], [mine.id, foreign.id], ['not an id']]) {
      const refused = await send(owner.token, ids);
      expect([codeOf(refused), refused.errors![0].extensions!.field], JSON.stringify(ids)).toEqual(['NOT_FOUND', 'attachmentIds']);
    }
    // Nor can the other tenant's user send ours in a conversation of theirs.
    const theirGroup = await createConversation(s, [outsider, await s.user({ clientId: tenant })], 'Elsewhere');
    const refused = await send(outsider.token, [theirs.id], tenant, theirGroup);
    expect([codeOf(refused), refused.errors![0].extensions!.field]).toEqual(['NOT_FOUND', 'attachmentIds']);
    expect(codeOf(await send(outsider.token, [foreign.id], tenant, theirGroup))).toBeUndefined();

    const sent = await send(owner.token, [mine.id]);
    expect(sent.data!.sendMessage.attachments.map((a) => a.id)).toEqual([mine.id]);
    expect(codeOf(await send(owner.token, [mine.id]))).toBe('NOT_FOUND'); // already sent

    const eleven = [];
    for (let i = 0; i < 11; i++) eleven.push(randomUUID());
    expect(reasonOf(await send(owner.token, eleven))).toBe('TOO_MANY_ATTACHMENTS');
    const again = await file(owner.token);
    expect(reasonOf(await send(owner.token, [again.id, again.id]))).toBe('DUPLICATE_ATTACHMENT');
    expect(codeOf(await send(owner.token, [again.id]))).toBeUndefined(); // nothing above used it
  });

  it('files over MAX_UPLOAD_BYTES, in the body or the header, empty files and the quota', async () => {
    const user = await s.user();
    const over = await upload(s, user.token, new Uint8Array(MAX + 1));
    expect([codeOf(over), reasonOf(over), over.errors![0].extensions!.limit]).toEqual(['BAD_USER_INPUT', 'FILE_TOO_LARGE', MAX]);
    // Far over: refused from Content-Length, before the body is read.
    const huge = await upload(s, user.token, new Uint8Array(MAX + 100_000));
    expect([huge.status, codeOf(huge), reasonOf(huge)]).toEqual([413, 'BAD_USER_INPUT', 'FILE_TOO_LARGE']);
    expect(reasonOf(await upload(s, user.token, new Uint8Array(0)))).toBe('EMPTY_FILE');

    await uploaded(s, user.token, new Uint8Array(MAX).fill(1));
    await uploaded(s, user.token, new Uint8Array(MAX).fill(2));
    const quota = await upload(s, user.token, new Uint8Array(QUOTA - 2 * MAX + 1).fill(3));
    expect([codeOf(quota), reasonOf(quota), quota.errors![0].extensions!.limit]).toEqual(['QUOTA_EXCEEDED', 'STORAGE_QUOTA', QUOTA]);
    await uploaded(s, user.token, new Uint8Array(QUOTA - 2 * MAX).fill(3)); // exactly the quota
    expect((await s.services().prisma.attachment.aggregate({ where: { uploaderId: user.id }, _sum: { size: true } }))._sum.size).toBe(
      QUOTA,
    );
  });

  it('decompression bombs and images that do not decode', async () => {
    const bomb = await upload(s, owner.token, declaredPng(20_000, 20_000), 'bomb.png');
    expect([codeOf(bomb), reasonOf(bomb), bomb.errors![0].message]).toEqual([
      'BAD_USER_INPUT',
      'IMAGE_TOO_LARGE',
      'This image has more than 50000000 pixels (width × height, every frame counted).',
    ]);
    const broken = (await photoWithGps()).subarray(0, 300);
    expect(reasonOf(await upload(s, owner.token, broken, 'broken.jpg'))).toBe('UNREADABLE_IMAGE');
  });

  it('to trust a type the client claims: HTML named .png is stored as text and served as a download', async () => {
    const html = Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>');
    const result = await upload(s, owner.token, html, 'cat.png', { type: 'image/png' });
    const lie = result.data!.uploadAttachment;
    expect([lie.contentType, lie.width, lie.thumbnailUrl]).toEqual(['text/plain', null, null]);
    const got = await download(lie.url);
    expect(got.bytes).toEqual(html);
    expect(got.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="cat.png"/);
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  });

  it('paths, control and bidi characters in names, which never reach a storage key', async () => {
    const names: [string, string][] = [
      ['../../etc/passwd', 'passwd'],
      ['C:\\Users\\me\\report.txt', 'report.txt'],
      ['a\u0001b\u007fc.txt', 'abc.txt'],
      ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
      ['.bashrc', 'bashrc'],
      ['x'.repeat(300) + '.txt', 'x'.repeat(196) + '.txt'],
      ['naïve résumé.txt', 'naïve résumé.txt'],
    ];
    for (const [given, kept] of names) {
      const a = await uploaded(s, owner.token, Buffer.from('x'), given);
      expect(a.name, given).toBe(kept);
      if (given === 'naïve résumé.txt') {
        expect((await download(a.url)).headers.get('content-disposition')).toBe(
          `attachment; filename="na_ve r_sum_.txt"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt`,
        );
      }
    }
    const stored = (await readdir(join(storage.dir, 'attachments'), { recursive: true })).map(String);
    expect(stored.filter((p) => !/^[0-9a-f]{2}(\/[0-9a-f-]{36})?$/.test(p))).toEqual([]);
  });

  it('uploads from guests, from a cookie without a header no form can send, and files that are not files', async () => {
    expect(codeOf(await upload(s, null, Buffer.from('x')))).toBe('UNAUTHENTICATED');
    const signUp = await fetch(`${s.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Cookie', email: `cookie${randomUUID()}@example.com`, password: 'password123' }),
    });
    const cookie = signUp.headers.getSetCookie()[0].split(';')[0];
    // What a cross-site <form enctype="multipart/form-data"> could send: the cookie alone counts for nothing.
    expect(codeOf(await upload(s, null, Buffer.from('x'), 'a.txt', { headers: { cookie } }))).toBe('UNAUTHENTICATED');
    const preflighted = await upload(s, null, Buffer.from('x'), 'a.txt', { headers: { cookie, 'apollo-require-preflight': 'true' } });
    expect(preflighted.data?.uploadAttachment.name).toBe('a.txt');

    const asJson = await s.gql(UPLOAD, { file: 'not a file' }, { token: owner.token });
    expect(codeOf(asJson)).toBe('BAD_USER_INPUT');
    const form = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=x',
    });
    expect(form.status).toBe(415);
  });

  it('multipart bodies that are broken or incomplete, as BAD_USER_INPUT', async () => {
    const post = async (body: string | FormData, contentType?: string) => {
      const res = await fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
      });
      return { status: res.status, ...((await res.json()) as { errors?: { extensions?: Record<string, unknown> }[] }) };
    };
    const noOperations = new FormData();
    noOperations.set('map', '{}');
    const badJson = new FormData();
    badJson.set('operations', '{"query":');
    const noFile = new FormData();
    noFile.set('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
    noFile.set('map', JSON.stringify({ 0: ['variables.file'] }));
    for (const [body, type] of [
      [noOperations],
      [badJson],
      [noFile],
      ['--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}', 'multipart/form-data; boundary=b'],
      ['--b--', 'multipart/form-data'],
    ] as [string | FormData, string?][]) {
      const answer = await post(body, type);
      expect([answer.status < 500, codeOf(answer)], String(type)).toEqual([true, 'BAD_USER_INPUT']);
    }
  });

  it('URLs tampered with, expired, of others, of members who left and of deleted messages', async () => {
    const a = await uploaded(s, owner.token, Buffer.from('secret'), 'secret.txt');
    const sent = (await send(owner.token, [a.id])).data!.sendMessage;
    const stranger = await s.user();
    const [url] = sent.attachments.map((x) => new URL(x.url));
    const refused = async (u: URL | string, status: number, code: string, reason?: string) => {
      const res = await fetch(u);
      const body = await res.json();
      expect([res.status, body.code, body.reason], String(u)).toEqual([status, code, reason]);
      expect(res.headers.get('cache-control')).toBe('no-store');
    };
    const withParam = (name: string, value: string) => {
      const u = new URL(url);
      u.searchParams.set(name, value);
      return u;
    };
    await refused(withParam('u', stranger.id), 403, 'FORBIDDEN', 'INVALID_SIGNATURE');
    await refused(
      withParam(
        's',
        url.searchParams.get('s')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
      ),
      403,
      'FORBIDDEN',
      'INVALID_SIGNATURE',
    );
    await refused(withParam('e', String(Number(url.searchParams.get('e')) + 3600)), 403, 'FORBIDDEN', 'INVALID_SIGNATURE');
    await refused(`${s.url}/attachments/${a.id}/thumbnail${url.search}`, 403, 'FORBIDDEN', 'INVALID_SIGNATURE');
    await refused(`${s.url}/attachments/${a.id}/../x${url.search}`, 403, 'FORBIDDEN', 'INVALID_SIGNATURE');
    await refused(`${s.url}/attachments/${a.id}`, 403, 'FORBIDDEN', 'INVALID_SIGNATURE');

    const urls = s.services().attachments.urls;
    const twoHoursAgo = Date.now() - 2 * 3600_000;
    await refused(s.url + urls.sign(a.id, 'original', owner.id, twoHoursAgo), 403, 'FORBIDDEN', 'URL_EXPIRED');
    // A URL the server made for someone who may not read it (a stranger), and for an attachment that does not exist.
    await refused(s.url + urls.sign(a.id, 'original', stranger.id), 404, 'NOT_FOUND');
    await refused(s.url + urls.sign(randomUUID(), 'original', owner.id), 404, 'NOT_FOUND');
    // An unsent upload is its uploader's alone.
    const unsent = await uploaded(s, owner.token, Buffer.from('draft'), 'draft.txt');
    await refused(s.url + urls.sign(unsent.id, 'original', member.id), 404, 'NOT_FOUND');

    const forMember = (await send(owner.token, [(await file(owner.token, 'for the member')).id])).data!.sendMessage;
    const memberUrl = s.url + urls.sign(forMember.attachments[0].id, 'original', member.id);
    expect((await download(memberUrl)).status).toBe(200);
    expect((await fetch(memberUrl, { method: 'POST' })).status).toBe(405);
    await s.ok(DeleteWithFiles, { id: forMember.id }, { token: owner.token });
    await refused(memberUrl, 404, 'NOT_FOUND');

    expect((await download(s.url + urls.sign(a.id, 'original', member.id))).status).toBe(200);
    await s.ok(LeaveFiles, { c: group }, { token: member.token });
    await refused(s.url + urls.sign(a.id, 'original', member.id), 404, 'NOT_FOUND');
  });
});
