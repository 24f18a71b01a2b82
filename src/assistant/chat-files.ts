// Files sent with a chat message (ChatInput.attachmentIds): the viewer's own uploads, read from storage through the
// AttachmentService. Images go to the model as file parts when it takes images; text files go as text in the message
// (cut at FILE_TEXT_CHARS); anything else, or an image for a model without images, is refused before anything is
// saved (BAD_USER_INPUT, reason UNSUPPORTED_ATTACHMENT). The message stores each file as a part (attachment id,
// media type, name), not its bytes.
import type { Readable } from 'node:stream';
import type { FilePart, TextPart } from 'ai';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AttachmentService } from '../attachments/attachments.service.ts';
import { AppError, badInput } from '../errors.ts';
import { FILE_TEXT_END, fileTextHeader } from './echo-model.ts';
import type { RegisteredModel } from './models.ts';
import type { MessagePart } from './parts.ts';

/** Files one message takes at most. */
export const MAX_CHAT_ATTACHMENTS = 10;
/** The characters of one text file the model reads at most. */
export const FILE_TEXT_CHARS = 20_000;
/** Images models take (the ones uploads keep as images). */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/x-yaml', 'application/yaml']);
const isText = (type: string) => type.startsWith('text/') || TEXT_TYPES.has(type);

/** What reading the files takes: the database (ownership) and the attachment service (bytes). */
export interface ChatFileDeps {
  prisma: PrismaClient;
  attachments: Pick<AttachmentService, 'open'> | null;
}

export interface ChatFiles {
  /** The user message's parts for the files. */
  parts: MessagePart[];
  /** What the model is sent after the message's text. */
  content: (TextPart | FilePart)[];
}

const notFound = () => new AppError('NOT_FOUND', 'No such attachment.', { field: 'attachmentIds' });

/** The files `ids` names, checked and read, for a message to `model`; none for no ids. */
export async function loadChatFiles(
  deps: ChatFileDeps,
  owner: { tenantId: string; userId: string },
  ids: string[] | null | undefined,
  model: RegisteredModel,
): Promise<ChatFiles> {
  const wanted = [...new Set(ids ?? [])];
  if (wanted.length === 0) return { parts: [], content: [] };
  if (wanted.length > MAX_CHAT_ATTACHMENTS) throw badInput(`A message takes at most ${MAX_CHAT_ATTACHMENTS} files.`, 'attachmentIds');
  if (!deps.attachments) throw notFound();
  // The viewer's own uploads only: anyone else's id is NOT_FOUND, as if it did not exist.
  const rows = await deps.prisma.attachment.findMany({
    where: { id: { in: wanted }, tenantId: owner.tenantId, uploaderId: owner.userId },
  });
  if (rows.length !== wanted.length) throw notFound();
  const ordered = wanted.map((id) => rows.find((r) => r.id === id)!);
  for (const a of ordered) {
    const image = IMAGE_TYPES.has(a.contentType);
    if ((image && !model.images) || (!image && !isText(a.contentType))) {
      const why = image ? `the model ${model.id} does not take images` : `${a.contentType} files cannot be sent to the assistant`;
      throw badInput(`"${a.name}": ${why}.`, 'attachmentIds', 'UNSUPPORTED_ATTACHMENT');
    }
  }
  const files: ChatFiles = { parts: [], content: [] };
  for (const a of ordered) {
    const opened = await deps.attachments.open({ attachmentId: a.id, variant: 'original', userId: owner.userId, expires: 0 });
    if (!opened) throw notFound();
    const bytes = await readAll(opened.file.body);
    files.parts.push({ type: 'file', attachmentId: a.id, mediaType: a.contentType, filename: a.name });
    if (IMAGE_TYPES.has(a.contentType)) {
      files.content.push({ type: 'file', data: new Uint8Array(bytes), mediaType: a.contentType, filename: a.name });
    } else {
      const text = bytes.toString('utf8');
      const cut = text.length > FILE_TEXT_CHARS ? `${text.slice(0, FILE_TEXT_CHARS)}\n… (cut: ${text.length} characters)` : text;
      files.content.push({ type: 'text', text: `${fileTextHeader(a.name, a.contentType, bytes.length)}\n${cut}\n${FILE_TEXT_END}` });
    }
  }
  return files;
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
