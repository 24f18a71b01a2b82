// Input rules shared by the messaging services: message content, titles, ids and opaque page cursors.
import { badInput } from '../errors.ts';
import { requireText } from '../text-rules.ts';

export const MAX_CONTENT = 4000;
export const MAX_TITLE = 100;
/** Members a group may have (the owner included). Past LARGE_GROUP_MEMBERS its events reach inboxes by its topic. */
export const MAX_GROUP_MEMBERS = 10_000;
/** People createGroupConversation and addMembers take in one call. */
export const MAX_ADDED_AT_ONCE = 1_000;

export function cleanContent(raw: string, field = 'content'): string {
  return requireText(raw, { field, label: 'A message', max: MAX_CONTENT, multiline: true });
}

export function cleanTitle(raw: string): string {
  return requireText(raw, { field: 'title', label: 'A title', max: MAX_TITLE });
}

export function cleanClientMessageId(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  if (!/^[\w.:-]{1,100}$/.test(raw)) throw badInput('clientMessageId is 1 to 100 of a-z, 0-9, "_", ".", ":", "-".', 'clientMessageId');
  return raw;
}

/** Page size: `first`/`last` within 0..max (default `fallback`). */
export function pageSize(value: number | null | undefined, field: string, fallback = 20, max = 100): number {
  if (value == null) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) throw badInput(`${field} must be between 0 and ${max}.`, field);
  return value;
}

// Cursors are opaque to clients: base64url of "<kind>:<json>". A cursor of the wrong kind or shape is bad input,
// never a server error.
export function encodeCursor(kind: string, value: unknown): string {
  return Buffer.from(`${kind}:${JSON.stringify(value)}`).toString('base64url');
}

export function decodeCursor<T>(kind: string, cursor: string | null | undefined, field: string, valid: (v: unknown) => v is T): T | null {
  if (cursor == null) return null;
  const text = /^[\w-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (text.startsWith(`${kind}:`)) {
    try {
      const value: unknown = JSON.parse(text.slice(kind.length + 1));
      if (valid(value)) return value;
    } catch {
      // falls through to the error below
    }
  }
  throw badInput(`${field} is not a valid cursor.`, field);
}

export const isSequence = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
export const isOffset = isSequence;
export const isStringPair = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';

/** A Relay page built from rows fetched with one extra row (the extra one only tells whether more exist). */
export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export function toPage<T>(
  rows: T[],
  limit: number,
  cursorOf: (row: T) => string,
  opts: { backward?: boolean; hadCursor: boolean },
): Page<T> {
  const more = rows.length > limit;
  let items = rows.slice(0, limit);
  if (opts.backward) items = items.reverse();
  const edges = items.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: opts.backward ? opts.hadCursor : more,
      hasPreviousPage: opts.backward ? more : opts.hadCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
