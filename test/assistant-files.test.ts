// Files sent with a chat message (ChatInput.attachmentIds), over a real server: the viewer's own uploads only, images
// to models that take them as file parts, text files as text, the rest refused before anything is saved; parley-echo
// describes what it was sent; the user message stores its files as parts.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useServer, type TestServer } from './helpers/server.ts';
import { chatOnce, scriptedModel, type Event } from './helpers/chat.ts';
import { png, uploaded } from './helpers/attachments.ts';

const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
const reason = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.reason;
const text = (events: Event[]) =>
  events
    .filter((e) => e.__typename === 'ChatToken')
    .map((e) => e.delta)
    .join('');
const utf8 = (s: string) => new TextEncoder().encode(s);

let n = 0;
/** A scripted model registered under a fresh id, taking images or not. */
function model(s: TestServer, images: boolean) {
  const m = scriptedModel(['Seen.']);
  const id = `files-${images ? 'img' : 'text'}-${n++}`;
  s.services().assistant.models.register(id, m, { images });
  return { id, m };
}

describe('files sent to the assistant', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1' });

  it('parley-echo describes an image and a text file; the message keeps them as parts', async () => {
    const s = server();
    const u = await s.user();
    const image = await uploaded(s, u.token, await png(), 'pic.png');
    const notes = await uploaded(s, u.token, utf8('remember the milk'), 'notes.txt');
    const { events } = await chatOnce(s, { message: 'look at these', attachmentIds: [image.id, notes.id] }, u);
    const kib = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
    expect(text(events)).toBe(
      'You said: "look at these". This is parley-echo, the built-in offline model; configure a provider for real answers.' +
        ` You attached an image (image/png, ${kib(image.size)} KiB, pic.png) and a text file (text/plain, 1 KiB, notes.txt).`,
    );
    const started = events[0] as { userMessage: { id: string; parts: Record<string, unknown>[] } };
    expect(started.userMessage.parts).toEqual([
      { type: 'TEXT', text: 'look at these', attachmentId: null, mediaType: null, filename: null },
      { type: 'FILE', text: null, attachmentId: image.id, mediaType: 'image/png', filename: 'pic.png' },
      { type: 'FILE', text: null, attachmentId: notes.id, mediaType: 'text/plain', filename: 'notes.txt' },
    ]);
    const row = await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: started.userMessage.id } });
    expect(row.parts).toEqual([
      { type: 'text', text: 'look at these' },
      { type: 'file', attachmentId: image.id, mediaType: 'image/png', filename: 'pic.png' },
      { type: 'file', attachmentId: notes.id, mediaType: 'text/plain', filename: 'notes.txt' },
    ]);
    const models = await s.ok<{ chatModels: { id: string; images: boolean }[] }, Record<string, unknown>>('{ chatModels { id images } }');
    expect(models.chatModels.find((m) => m.id === 'parley-echo')!.images).toBe(true);
  });

  it('sends images as file parts to a model that takes them, text files as text to any, and cuts long text', async () => {
    const s = server();
    const u = await s.user();
    const bytes = await png(20, 10);
    const image = await uploaded(s, u.token, bytes, 'small.png');
    const withImages = model(s, true);
    await chatOnce(s, { message: 'what is it?', attachmentIds: [image.id], model: withImages.id }, u);
    const user = withImages.m.doStreamCalls[0].prompt.at(-1)!;
    expect(user.role).toBe('user');
    const [said, file] = user.content as { type: string; text?: string; mediaType?: string; data?: Uint8Array; filename?: string }[];
    expect(said).toEqual({ type: 'text', text: 'what is it?' });
    expect(file).toMatchObject({ type: 'file', mediaType: 'image/png', filename: 'small.png' });
    expect(file.data!.length).toBe(image.size);

    const long = await uploaded(s, u.token, utf8('x'.repeat(25_000)), 'long.md');
    const textOnly = model(s, false);
    await chatOnce(s, { message: 'read it', attachmentIds: [long.id], model: textOnly.id }, u);
    const parts = textOnly.m.doStreamCalls[0].prompt.at(-1)!.content as { type: string; text: string }[];
    expect(parts[0]).toEqual({ type: 'text', text: 'read it' });
    expect(parts[1].text.startsWith(`<file name="long.md" type="text/plain" size="25000">\n${'x'.repeat(100)}`)).toBe(true);
    expect(parts[1].text).toContain('… (cut: 25000 characters)');
    expect(parts[1].text.length).toBeLessThan(20_200);

    // The next turn notes the files by name; their bytes are not sent again.
    const sessionId = (await s.db.prisma.chatMessage.findFirstOrThrow({ where: { userId: u.id, content: 'read it' } })).sessionId;
    const later = model(s, false);
    await chatOnce(s, { message: 'and now?', sessionId, model: later.id }, u);
    const earlier = later.m.doStreamCalls[0].prompt.find((m) => m.role === 'user')!;
    expect(earlier.content).toEqual([{ type: 'text', text: 'read it\n\n[Attached earlier: long.md (text/plain)]' }]);
  });

  it("refuses others' files, unknown ids, too many, files no model reads and images for a model without them; nothing is saved", async () => {
    const s = server();
    const u = await s.user();
    const other = await s.user();
    const image = await uploaded(s, u.token, await png(), 'pic.png');
    const theirs = await uploaded(s, other.token, utf8('not yours'), 'theirs.txt');
    const binary = await uploaded(s, u.token, new Uint8Array([0, 1, 2, 3, 0, 255, 254, 0]), 'blob.bin');
    const textOnly = model(s, false);
    const before = await s.db.prisma.chatMessage.count({ where: { userId: u.id } });

    const refused = async (input: Record<string, unknown>, user: { token: string } | null = u) => {
      const r = await chatOnce(s, { message: 'here', ...input }, user);
      expect(r.errors).toBeDefined();
      return r;
    };
    const foreign = await refused({ attachmentIds: [theirs.id] });
    expect([code(foreign), foreign.errors![0].extensions!.field]).toEqual(['NOT_FOUND', 'attachmentIds']);
    expect(code(await refused({ attachmentIds: [image.id, randomUUID()] }))).toBe('NOT_FOUND');
    expect(code(await refused({ attachmentIds: ['not an id'] }))).toBe('NOT_FOUND');
    const many = await refused({ attachmentIds: Array.from({ length: 11 }, () => randomUUID()) });
    expect([code(many), many.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'attachmentIds']);
    const blob = await refused({ attachmentIds: [binary.id] });
    expect([code(blob), reason(blob)]).toEqual(['BAD_USER_INPUT', 'UNSUPPORTED_ATTACHMENT']);
    const noImages = await refused({ attachmentIds: [image.id], model: textOnly.id });
    expect([code(noImages), reason(noImages)]).toEqual(['BAD_USER_INPUT', 'UNSUPPORTED_ATTACHMENT']);
    expect(code(await refused({ attachmentIds: [image.id] }, null))).toBe('UNAUTHENTICATED');
    expect(await s.db.prisma.chatMessage.count({ where: { userId: u.id } })).toBe(before);
    expect(textOnly.m.doStreamCalls).toHaveLength(0);
  });
});
