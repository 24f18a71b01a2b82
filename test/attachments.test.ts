// Attachments end to end over real HTTP: uploadAttachment (multipart, as fetch with FormData sends it), a message
// sent with attachmentIds, Message.attachments in history and live events (WebSocket and SSE), the signed URLs and
// the bytes and headers they serve, images cleaned of their metadata, and bounded history statements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { fewestStatements } from './helpers/statements.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { createConversation } from './helpers/conversations.ts';
import { graphql } from './gql/index.ts';
import { dataDir, download, hasGps, photoWithGps, png, uploaded } from './helpers/attachments.ts';

const SendWith = graphql(`
  mutation SendWithAttachments($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      content
      attachments {
        id
        name
        contentType
        size
        width
        height
        url
        thumbnailUrl
      }
    }
  }
`);

const AttachmentHistory = graphql(`
  query AttachmentHistory($c: ID!, $last: Int) {
    messages(conversationId: $c, last: $last) {
      edges {
        node {
          id
          content
          sender {
            id
          }
          attachments {
            id
            name
            contentType
            size
            width
            height
            url
            thumbnailUrl
          }
        }
      }
    }
  }
`);

const LiveAttachments = graphql(`
  subscription LiveAttachments($c: ID) {
    conversationEvents(conversationId: $c) {
      type
      message {
        id
        attachments {
          id
          name
          url
        }
      }
    }
  }
`);
const LiveAttachmentsText = `subscription LiveAttachments($c: ID) { conversationEvents(conversationId: $c) { type message { id attachments { id name url } } } }`;

const storage = await dataDir();
afterAll(() => storage.remove());

type Ctx = { s: TestServer; owner: TestUser; member: TestUser; group: string };

describe('attachments', () => {
  const server = useServer({ DATA_DIR: storage.dir });
  let c: Ctx;
  beforeAll(async () => {
    const s = server();
    const [owner, member] = [await s.user(), await s.user()];
    c = { s, owner, member, group: await createConversation(s, [owner, member], 'Files') };
  });
  const send = async (attachmentIds: string[], content = '') =>
    (await c.s.ok(SendWith, { input: { conversationId: c.group, content, attachmentIds } }, { token: c.owner.token })).sendMessage;

  it('upload, go with a message, and serve their bytes with safe headers to the members', async () => {
    const text = Buffer.from('minutes of the meeting\n');
    const notes = await uploaded(c.s, c.owner.token, text, 'minutes.txt');
    expect(notes).toMatchObject({ name: 'minutes.txt', contentType: 'text/plain', size: text.length, width: null, thumbnailUrl: null });
    // The uploader may fetch it before it is sent.
    expect((await download(notes.url)).bytes).toEqual(text);

    const original = await photoWithGps(64, 48);
    expect(await hasGps(original)).toBe(true);
    const photo = await uploaded(c.s, c.owner.token, original, 'IMG_0001.jpg');
    // Orientation 6: the stored image is upright, 48 wide and 64 high.
    expect(photo).toMatchObject({ contentType: 'image/jpeg', width: 48, height: 64 });

    const sent = await send([photo.id, notes.id]);
    expect(sent.content).toBe('');
    expect(sent.attachments.map((a) => a.id)).toEqual([photo.id, notes.id]);

    const page = await c.s.ok(AttachmentHistory, { c: c.group, last: 5 }, { token: c.member.token });
    const [shown, file] = page.messages.edges.find((e) => e.node.id === sent.id)!.node.attachments;
    expect(file.url).not.toBe(notes.url); // signed for the member
    const got = await download(file.url);
    expect(got.status).toBe(200);
    expect(got.bytes).toEqual(text);
    expect(
      Object.fromEntries(
        ['content-type', 'content-length', 'content-disposition', 'x-content-type-options'].map((h) => [h, got.headers.get(h)]),
      ),
    ).toEqual({
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(text.length),
      'content-disposition': `attachment; filename="minutes.txt"; filename*=UTF-8''minutes.txt`,
      'x-content-type-options': 'nosniff',
    });
    expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(got.headers.get('cache-control')).toMatch(/^private, max-age=\d+, immutable$/);

    const image = await download(shown.url);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(image.headers.get('content-disposition')).toMatch(/^inline; /);
    expect(image.bytes.length).toBe(shown.size);
    const stored = await sharp(image.bytes).metadata();
    expect([stored.width, stored.height, stored.exif, stored.orientation]).toEqual([48, 64, undefined, undefined]);
    expect(await hasGps(image.bytes)).toBe(false);

    const thumbnail = await download(shown.thumbnailUrl!);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    const small = await sharp(thumbnail.bytes).metadata();
    expect([small.format, small.width, small.height]).toEqual(['webp', 48, 64]);
  });

  it('make thumbnails of at most 320 pixels and serve a HEAD without a body', async () => {
    const big = await uploaded(c.s, c.owner.token, await png(1000, 500), 'wide.png');
    expect([big.width, big.height]).toEqual([1000, 500]);
    const thumbnail = await sharp((await download(big.thumbnailUrl!)).bytes).metadata();
    expect([thumbnail.width, thumbnail.height]).toEqual([320, 160]);
    const head = await fetch(big.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(big.size));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('arrive with MESSAGE_ADDED over WebSocket and SSE', async () => {
    const live = subscribe(c.s.ws({ token: c.member.token }), LiveAttachments, { c: c.group });
    await allLive([live], () => send([], 'probe'));
    const sse = await fetch(`${c.s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${c.member.token}` },
      body: JSON.stringify({ query: LiveAttachmentsText, variables: { c: c.group } }),
    });
    const reader = sse.body!.getReader();
    const file = await uploaded(c.s, c.owner.token, Buffer.from('live bytes'), 'live.txt');
    const sent = await send([file.id], 'with a file');

    const event = await live.until((r) => r.data?.conversationEvents.message?.id === sent.id);
    const [viaWs] = event.data!.conversationEvents.message!.attachments;
    expect(viaWs).toMatchObject({ id: file.id, name: 'live.txt' });
    expect((await download(viaWs.url)).bytes.toString()).toBe('live bytes');

    let text = '';
    while (!text.includes(sent.id)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    const frame = text.split('\n').find((line) => line.startsWith('data:') && line.includes(sent.id))!;
    const [viaSse] = JSON.parse(frame.slice(5)).data.conversationEvents.message.attachments;
    expect(viaSse).toMatchObject({ id: file.id, name: 'live.txt' });
    expect((await download(viaSse.url)).status).toBe(200);
    await reader.cancel();
  });

  it('keep a history page with attachments to a bounded number of statements', async () => {
    const s = c.s;
    const group = await createConversation(s, [c.owner, c.member], 'Many files');
    const sendHere = async (n: number) => {
      const ids = [];
      for (let i = 0; i < n; i++) ids.push((await uploaded(s, c.owner.token, Buffer.from(`file ${i}`), `f${i}.txt`)).id);
      await s.ok(SendWith, { input: { conversationId: group, content: `with ${n}`, attachmentIds: ids } }, { token: c.owner.token });
    };
    const statements = () => fewestStatements(s, () => s.ok(AttachmentHistory, { c: group, last: 50 }, { token: c.member.token }));
    await sendHere(1);
    const few = await statements();
    for (let i = 0; i < 6; i++) await sendHere(3);
    expect(await statements()).toBe(few);
  });
});
