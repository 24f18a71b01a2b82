// Attachment URLs: /attachments/<id>[/thumbnail]?u=<viewer id>&e=<expiry, unix seconds>&s=<HMAC-SHA256>. The key is
// derived from the server's auth secret (HKDF, its own purpose label, so the secret itself signs nothing here). A URL
// names the viewer it was made for; the route checks, when it is fetched, that this viewer may still read the file.
// Expiries are rounded to half the lifetime, so the URLs a client is given stay the same for a while and its cache
// can keep the bytes; a URL is valid for between half and all of ATTACHMENT_URL_TTL_SECONDS.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export type Variant = 'original' | 'thumbnail';

/** What a valid URL grants: this viewer may fetch this variant of this attachment until `expires` (unix seconds). */
export interface UrlGrant {
  attachmentId: string;
  variant: Variant;
  userId: string;
  expires: number;
}

/** Why a URL was refused, a stable `reason`: tampered or incomplete (INVALID_SIGNATURE), or too old (URL_EXPIRED). */
export type UrlRefusal = 'INVALID_SIGNATURE' | 'URL_EXPIRED';

export const ATTACHMENT_PATH = '/attachments/';
const ID = /^[0-9A-Za-z-]{1,64}$/;

export class AttachmentUrls {
  private readonly key: Buffer;

  constructor(
    authSecret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', authSecret, 'parley', 'attachment urls', 32));
  }

  /** The path and query of a URL for `userId` (relative to the server: clients resolve it against the API's origin). */
  sign(attachmentId: string, variant: Variant, userId: string, nowMs = Date.now()): string {
    const now = Math.floor(nowMs / 1000);
    const step = Math.max(1, Math.floor(this.ttlSeconds / 2));
    const expires = Math.floor(now / step) * step + this.ttlSeconds;
    const query = new URLSearchParams({ u: userId, e: String(expires), s: this.signature({ attachmentId, variant, userId, expires }) });
    return `${ATTACHMENT_PATH}${attachmentId}${variant === 'thumbnail' ? '/thumbnail' : ''}?${query}`;
  }

  /** The grant of a request's path and query, or why there is none. */
  verify(path: string, search: URLSearchParams, nowMs = Date.now()): UrlGrant | UrlRefusal {
    const [attachmentId, variantPart, ...rest] = path.slice(ATTACHMENT_PATH.length).split('/');
    const variant: Variant | null = variantPart === undefined ? 'original' : variantPart === 'thumbnail' ? 'thumbnail' : null;
    const userId = search.get('u') ?? '';
    const expires = Number(search.get('e'));
    const given = search.get('s') ?? '';
    if (!variant || rest.length || !ID.test(attachmentId) || !ID.test(userId) || !Number.isSafeInteger(expires)) return 'INVALID_SIGNATURE';
    const grant = { attachmentId, variant, userId, expires };
    const expected = Buffer.from(this.signature(grant));
    const actual = Buffer.from(given);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return 'INVALID_SIGNATURE';
    return expires * 1000 <= nowMs ? 'URL_EXPIRED' : grant;
  }

  private signature(g: UrlGrant): string {
    return createHmac('sha256', this.key).update(`${g.attachmentId}\n${g.variant}\n${g.userId}\n${g.expires}`).digest('base64url');
  }
}
