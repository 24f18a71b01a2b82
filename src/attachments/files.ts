// What an uploaded file is, decided from its bytes alone (never the name or the type the client gave), and what is
// kept of it: images are decoded, re-encoded without their metadata (EXIF, GPS, XMP; the colour profile stays) and
// turned the way their EXIF orientation says, and get a thumbnail; everything else is kept byte for byte.
import sharp, { type Sharp } from 'sharp';
import { fileTypeFromBuffer } from 'file-type';
import { badInput } from '../errors.ts';

/** Whether Parley decodes, measures, thumbnails and serves inline this type. Any other type is served as a download. */
export const isImageType = (contentType: string): boolean => /^image\/(?:jpeg|png|webp|gif|avif)$/.test(contentType);
/** A thumbnail fits in a square of this many pixels. */
export const THUMBNAIL_SIZE = 320;
export const THUMBNAIL_TYPE = 'image/webp';
/** Longest file name kept, in characters (code points); the extension survives the cut. */
export const MAX_NAME_CHARS = 200;

/** The file as it will be stored. */
export interface PreparedFile {
  contentType: string;
  bytes: Buffer;
  width: number | null;
  height: number | null;
  thumbnail: Buffer | null;
}

/**
 * Sniffs `bytes` and prepares them for storage. An image is refused (BAD_USER_INPUT) when it has more than
 * `maxPixels` pixels, every frame counted (reason IMAGE_TOO_LARGE: a small file can declare a huge image), or when it
 * does not decode (reason UNREADABLE_IMAGE): every stored image has its size and a thumbnail. An image's decoding and
 * encoding run through `imageSlot`, which bounds how many run at once (AttachmentService).
 */
export async function prepareFile(
  bytes: Buffer,
  maxPixels: number,
  imageSlot: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<PreparedFile> {
  const sniffed = (await fileTypeFromBuffer(bytes))?.mime;
  if (sniffed && isImageType(sniffed)) return imageSlot(() => prepareImage(bytes, sniffed, maxPixels));
  const contentType = sniffed ?? (isText(bytes) ? 'text/plain' : 'application/octet-stream');
  return { contentType, bytes, width: null, height: null, thumbnail: null };
}

async function prepareImage(bytes: Buffer, contentType: string, maxPixels: number): Promise<PreparedFile> {
  const unreadable = () =>
    badInput('This image could not be read: the file is damaged or not really an image.', 'file', 'UNREADABLE_IMAGE');
  const tooLarge = () =>
    badInput(`This image has more than ${maxPixels} pixels (width × height, every frame counted).`, 'file', 'IMAGE_TOO_LARGE');
  const animated = contentType === 'image/gif' || contentType === 'image/webp';
  // The header is read first: a decompression bomb declares its size there, and is refused before any pixel is.
  const header = await sharp(bytes, { animated, limitInputPixels: false })
    .metadata()
    .catch(() => {
      throw unreadable();
    });
  const frames = header.pages ?? 1;
  if (!header.width || !header.height) throw unreadable();
  if (header.width * header.height > maxPixels || header.width * (header.pageHeight ?? header.height) * frames > maxPixels)
    throw tooLarge();
  try {
    // sharp's own pixel limit backs the check above; failOn 'error' refuses broken pixel data (a truncated file).
    const input = { animated, limitInputPixels: maxPixels, failOn: 'error' } as const;
    // Output carries no metadata unless asked (keepIccProfile keeps colours right); autoOrient applies the EXIF
    // orientation to the pixels, since the tag that said it goes with the rest.
    const stored = await reencode(sharp(bytes, input).autoOrient().keepIccProfile(), contentType).toBuffer();
    const measured = await sharp(stored, { animated }).metadata();
    const thumbnail = await sharp(stored, { limitInputPixels: maxPixels })
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return { contentType, bytes: stored, width: measured.width, height: measured.pageHeight ?? measured.height, thumbnail };
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) throw tooLarge();
    throw unreadable();
  }
}

/** The same format again: the stored file stays what it was sniffed as. */
function reencode(image: Sharp, contentType: string): Sharp {
  switch (contentType) {
    case 'image/jpeg':
      // libjpeg-turbo, not mozjpeg: mozjpeg's smaller files took 11x the time (680 ms against 60 ms for a 3 MP photo).
      return image.jpeg({ quality: 90 });
    case 'image/png':
      return image.png({ compressionLevel: 9 });
    case 'image/webp':
      return image.webp({ quality: 90 });
    case 'image/gif':
      return image.gif();
    default:
      // AVIF encodes slowly; a lower effort keeps a large one to seconds.
      return image.avif({ quality: 70, effort: 2 });
  }
}

/** UTF-8 text (no NUL, no control characters other than whitespace, valid encoding): served as text/plain. */
function isText(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000B\u000E-\u001F\u007F]/.test(text);
}

// C0 and C1 controls and DEL; bidi embeddings, overrides, isolates and marks (they reorder what is shown after
// them: "evil\u202Egnp.exe" shows as "evilexe.png"); zero-width and other invisible format characters.
const UNWANTED = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * The name a file is shown and downloaded under: the last part of any path (both separators: "../../etc/passwd" and
 * "C:\\x\\y.txt" keep "passwd" and "y.txt"), without control, bidi or invisible format characters, trimmed of spaces
 * and leading dots (no hidden or relative names), at most MAX_NAME_CHARS characters with the extension kept. Never
 * empty ("file"). The name is only ever shown; storage keys are random ids.
 */
export function cleanFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  const name = base
    .replace(UNWANTED, '')
    .trim()
    .replace(/^[.\s]+/, '');
  const chars = [...name];
  if (chars.length === 0) return 'file';
  if (chars.length <= MAX_NAME_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return (
    chars
      .slice(0, MAX_NAME_CHARS - [...extension].length)
      .join('')
      .trimEnd() + extension
  );
}
