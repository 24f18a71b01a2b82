// GET (and HEAD) /attachments/<id>[/thumbnail]?u=&e=&s=: the bytes of an attachment, for the viewer its signed URL
// names (signed-urls.ts), checked again now (AttachmentService.open). Whatever the file holds, a browser neither
// sniffs nor runs it: its stored (sniffed) type, nosniff, a sandboxing CSP, and a download unless it is an image Parley
// decoded. The bytes stream from storage at the pace the client reads them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { json } from '../http/json.ts';
import type { Logger } from '../logger.ts';
import type { AttachmentService } from './attachments.service.ts';
import { isImageType, THUMBNAIL_TYPE } from './files.ts';

export { ATTACHMENT_PATH } from './signed-urls.ts';

/** A client that takes no bytes for this long is let go (its socket closed), so it cannot hold a file open. */
const IDLE_MS = 60_000;

/** Answers an attachment request; never throws (failures are answered and logged). */
export async function serveAttachment(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  attachments: AttachmentService,
  logger: Logger,
): Promise<void> {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return refuse(res, 405, 'BAD_USER_INPUT', 'Attachments are read with GET.');
    }
    const grant = attachments.urls.verify(path, new URL(req.url ?? '/', 'http://localhost').searchParams);
    if (grant === 'INVALID_SIGNATURE') return refuse(res, 403, 'FORBIDDEN', 'This attachment URL is not valid.', grant);
    if (grant === 'URL_EXPIRED') return refuse(res, 403, 'FORBIDDEN', 'This attachment URL has expired; read the attachment again.', grant);
    // HEAD asks storage for the size alone; GET opens the bytes before answering, so a missing file is a 404.
    const opened = req.method === 'HEAD' ? await attachments.stat(grant) : await attachments.open(grant);
    if (!opened) return refuse(res, 404, 'NOT_FOUND', 'Attachment not found.');
    const { attachment } = opened;
    const size = 'file' in opened ? opened.file.size : opened.size;
    const thumbnail = grant.variant === 'thumbnail';
    const contentType = thumbnail ? THUMBNAIL_TYPE : attachment.contentType;
    const inline = isImageType(contentType);
    const name = thumbnail ? attachment.name.replace(/\.[^.]*$/, '') + '.webp' : attachment.name;
    res.writeHead(200, {
      'content-type': contentType.startsWith('text/') ? `${contentType}; charset=utf-8` : contentType,
      // Only a size storage gave: a wrong Content-Length would cut the file short or hang the client.
      ...(size === null ? {} : { 'content-length': size }),
      'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', name),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      // The bytes behind a URL never change; the URL stops working at its expiry, and so should copies of its answer.
      'cache-control': `private, max-age=${Math.max(0, grant.expires - Math.floor(Date.now() / 1000))}, immutable`,
      'referrer-policy': 'no-referrer',
    });
    if (!('file' in opened)) {
      res.end();
      return;
    }
    const { file } = opened;
    res.setTimeout(IDLE_MS, () => res.destroy());
    // pipeline waits for the client to take each chunk (backpressure) and destroys the storage stream when the client
    // goes away, so a slow or vanished client holds no more than the streams' buffers.
    await pipeline(file.body, res).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.warn('attachment stream failed', { error: err.message });
    });
  } catch (err) {
    logger.error('attachment request failed', { error: err });
    if (!res.headersSent) refuse(res, 503, 'SERVICE_UNAVAILABLE', 'The attachment could not be read; retry shortly.');
    else res.destroy();
  }
}

function refuse(res: ServerResponse, status: number, code: string, message: string, reason?: string): void {
  res.setHeader('cache-control', 'no-store');
  json(res, status, { error: message, code, ...(reason ? { reason } : {}) });
}

/**
 * A Content-Disposition value (RFC 6266) with the name twice: `filename` in plain ASCII for old clients (anything
 * else, quotes and backslashes become "_"), and `filename*` in UTF-8, percent-encoded as RFC 5987 wants.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
