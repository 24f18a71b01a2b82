// Where attachment bytes live and when they go: DATA_DIR/attachments with private modes, S3 (a real s3rver) end to
// end, and deletion with their message, with their uploader's account, and by the sweeper (uploads never sent, rows
// whose message is gone).
import { afterAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { startServer, testConfig, useServer, type TestServer } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { graphql } from './gql/index.ts';
import { codeOf, dataDir, download, png, reasonOf, startS3, upload, uploaded } from './helpers/attachments.ts';

const SendStored = graphql(`
  mutation SendStored($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      attachments {
        id
        url
        thumbnailUrl
      }
    }
  }
`);
const DeleteStored = graphql(`
  mutation DeleteStored($id: ID!) {
    deleteMessage(id: $id) {
      id
    }
  }
`);
const DeleteMe = graphql(`
  mutation DeleteMe($password: String!) {
    deleteAccount(password: $password)
  }
`);

/** The storage keys of an attachment's bytes (original and thumbnail), read from its row. */
async function keysOf(s: TestServer, id: string): Promise<string[]> {
  const row = await s.services().prisma.attachment.findUniqueOrThrow({ where: { id } });
  return row.thumbnailKey ? [row.storageKey, row.thumbnailKey] : [row.storageKey];
}
const stored = (s: TestServer, keys: string[]) => Promise.all(keys.map((k) => s.services().attachments.storage.has(k)));
const rowExists = async (s: TestServer, id: string) => (await s.services().prisma.attachment.count({ where: { id } })) === 1;

/** Sends an image and a text file in a new group of the owner and a member; returns what the test needs. */
async function sendTwo(s: TestServer) {
  const [owner, member] = [await s.user(), await s.user()];
  const group = await createConversation(s, [owner, member], 'Stored');
  const image = await uploaded(s, owner.token, await png(400, 300), 'picture.png');
  const text = await uploaded(s, owner.token, Buffer.from('plain words'), 'words.txt');
  const message = (
    await s.ok(
      SendStored,
      { input: { conversationId: group, content: 'two files', attachmentIds: [image.id, text.id] } },
      { token: owner.token },
    )
  ).sendMessage;
  const keys = [...(await keysOf(s, image.id)), ...(await keysOf(s, text.id))];
  return { owner, member, group, image, text, message, keys };
}

/** What every storage must do: serve what it stored, and delete it with its message. */
async function storesAndDeletes(s: TestServer) {
  const { owner, image, text, message, keys } = await sendTwo(s);
  expect(keys).toHaveLength(3);
  expect(await stored(s, keys)).toEqual([true, true, true]);
  const [picture, words] = message.attachments;
  expect((await download(words.url)).bytes.toString()).toBe('plain words');
  const served = await download(picture.url);
  expect([served.headers.get('content-type'), served.headers.get('content-length'), served.bytes.length]).toEqual([
    'image/png',
    String(image.size),
    image.size,
  ]);
  expect((await sharp((await download(picture.thumbnailUrl!)).bytes).metadata()).width).toBe(320);

  await s.ok(DeleteStored, { id: message.id }, { token: owner.token });
  expect(await stored(s, keys)).toEqual([false, false, false]);
  expect([await rowExists(s, image.id), await rowExists(s, text.id)]).toEqual([false, false]);
  expect((await download(words.url)).status).toBe(404);
}

const local = await dataDir();
afterAll(() => local.remove());

describe('attachments on local storage', () => {
  const server = useServer({ DATA_DIR: local.dir });

  it('keep bytes in DATA_DIR/attachments, owner-only, and delete them with their message', async () => {
    const s = server();
    const file = await uploaded(s, (await s.user()).token, Buffer.from('private'), 'private.txt');
    const [key] = await keysOf(s, file.id);
    const root = join(local.dir, 'attachments');
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, key.slice(0, 2)))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, key.slice(0, 2), key))).mode & 0o777).toBe(0o600);
    await storesAndDeletes(s);
  });

  it("delete an account's files, sent or not, with the account", async () => {
    const s = server();
    const { owner, member, group, image, text, keys } = await sendTwo(s);
    const unsent = await uploaded(s, owner.token, Buffer.from('draft'), 'draft.txt');
    const all = [...keys, ...(await keysOf(s, unsent.id))];
    const theirs = await uploaded(s, member.token, Buffer.from('theirs'), 'theirs.txt');
    await s.ok(SendStored, { input: { conversationId: group, content: 'mine', attachmentIds: [theirs.id] } }, { token: member.token });

    expect(await s.ok(DeleteMe, { password: owner.password }, { token: owner.token })).toEqual({ deleteAccount: true });
    expect(await stored(s, all)).toEqual(all.map(() => false));
    expect(await s.services().prisma.attachment.count({ where: { id: { in: [image.id, text.id, unsent.id] } } })).toBe(0);
    expect(await stored(s, await keysOf(s, theirs.id))).toEqual([true]); // the other member's stay
  });

  it('sweep uploads no message took in time, and rows whose message is gone, but not sent ones', async () => {
    const s = server();
    const { keys, image } = await sendTwo(s);
    const user = await s.user();
    const stale = await uploaded(s, user.token, Buffer.from('forgotten'), 'forgotten.txt');
    const staleKeys = await keysOf(s, stale.id);
    const orphan = await uploaded(s, user.token, Buffer.from('orphan'), 'orphan.txt');
    const orphanKeys = await keysOf(s, orphan.id);
    // What a deleted message's rows look like when deleting their bytes failed (or a message row went by the foreign key).
    await s.services().prisma.attachment.update({ where: { id: orphan.id }, data: { attachedAt: new Date() } });

    const attachments = s.services().attachments;
    expect(await attachments.sweep(Date.now())).toBe(1); // the orphan; the fresh upload is not stale yet
    expect([await rowExists(s, orphan.id), ...(await stored(s, orphanKeys))]).toEqual([false, false]);
    expect(await rowExists(s, stale.id)).toBe(true);

    expect(await attachments.sweep(Date.now() + 2 * 86_400_000)).toBeGreaterThanOrEqual(1); // with other tests' unsent ones
    expect([await rowExists(s, stale.id), ...(await stored(s, staleKeys))]).toEqual([false, false]);
    expect([await rowExists(s, image.id), ...(await stored(s, keys))]).toEqual([true, true, true, true]);
  });

  it("sweep a deleted message's files that its delete left behind (the process stopped before removing them)", async () => {
    const s = server();
    const { image, text, message, keys } = await sendTwo(s);
    // The tombstone committed; removing its files did not happen.
    await s.services().prisma.message.update({ where: { id: message.id }, data: { deletedAt: new Date(), content: '' } });
    expect(await stored(s, keys)).toEqual([true, true, true]);
    expect(await s.services().attachments.sweep(Date.now())).toBeGreaterThanOrEqual(2);
    expect([await rowExists(s, image.id), await rowExists(s, text.id), ...(await stored(s, keys))]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('run the sweeper every ATTACHMENT_SWEEP_MS', async () => {
    const dir = await dataDir();
    const s = await startServer({ DATA_DIR: dir.dir, ATTACHMENT_UNSENT_TTL_SECONDS: '1', ATTACHMENT_SWEEP_MS: '100' });
    try {
      const upload = await uploaded(s, (await s.user()).token, Buffer.from('soon gone'), 'soon.txt');
      const keys = await keysOf(s, upload.id);
      for (let i = 0; i < 200 && (await rowExists(s, upload.id)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await rowExists(s, upload.id)).toBe(false);
      expect(await stored(s, keys)).toEqual([false]);
    } finally {
      await s.stop();
      await dir.remove();
    }
  });
});

describe('attachments on S3', () => {
  it('store, serve, delete and sweep through an S3-compatible service, and say when it is out of reach', async () => {
    const s3 = await startS3();
    const s = await startServer(s3.env);
    try {
      await storesAndDeletes(s);
      const user = await s.user();
      const stale = await uploaded(s, user.token, Buffer.from('stale'), 'stale.txt');
      const keys = await keysOf(s, stale.id);
      expect(await stored(s, keys)).toEqual([true]);
      expect(await s.services().attachments.sweep(Date.now() + 2 * 86_400_000)).toBeGreaterThanOrEqual(1);
      expect(await stored(s, keys)).toEqual([false]);

      const kept = await uploaded(s, user.token, Buffer.from('kept'), 'kept.txt');
      await s3.stop();
      const refused = await upload(s, user.token, Buffer.from('nowhere to go'), 'nowhere.txt');
      expect([codeOf(refused), reasonOf(refused), refused.errors![0].extensions!.retryable]).toEqual([
        'SERVICE_UNAVAILABLE',
        'STORAGE_UNAVAILABLE',
        true,
      ]);
      expect(await s.services().prisma.attachment.count({ where: { uploaderId: user.id } })).toBe(1); // no row without bytes
      const unreadable = await fetch(kept.url);
      expect([unreadable.status, (await unreadable.json()).code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    } finally {
      await s.stop();
      await s3.stop();
    }
  });
});

describe('attachment configuration', () => {
  it('refuses half a set of S3 credentials and limits out of range, naming them', () => {
    expect(() => testConfig({ S3_BUCKET: 'files', S3_ACCESS_KEY_ID: 'id' })).toThrow(/S3_SECRET_ACCESS_KEY/);
    expect(() => testConfig({ S3_ENDPOINT: 'ftp://s3.example' })).toThrow(/S3_ENDPOINT/);
    expect(() => testConfig({ MAX_UPLOAD_BYTES: '0' })).toThrow(/MAX_UPLOAD_BYTES/);
    expect(() => testConfig({ ATTACHMENT_URL_TTL_SECONDS: '0', ATTACHMENT_SWEEP_MS: '1' })).toThrow(
      /ATTACHMENT_URL_TTL_SECONDS[\s\S]*ATTACHMENT_SWEEP_MS/,
    );
    expect(testConfig({ ATTACHMENT_QUOTA_BYTES: '0' }).ATTACHMENT_QUOTA_BYTES).toBe(0);
  });
});
