// Rules for text people write, decided once for every feature and transport: what a name, a title, a status text or
// a message may contain, and that no input string at all may hold NUL.
import { badInput } from './errors.ts';

/** U+0000. PostgreSQL text cannot hold it (a statement carrying one fails), and nobody types it. */
const NUL = '\u0000';

// C0 and C1 control characters and DEL. Stripping them silently would change what was sent.
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
// Line and paragraph separators end a line as \n does.
const LINE_SEPARATOR = /[\u2028\u2029]/;
// Bidi embeddings, overrides and isolates reorder the characters after them, also outside the text that holds them:
// a name with U+202E shows reversed, and so does what a client prints after it.
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
// Nothing a reader can see: whitespace, format characters (zero-width space and joiners, BOM, soft hyphen...),
// other default-ignorable characters (Hangul fillers...) and the blank braille pattern.
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\u2800]*$/u;

/** Who wrote a text a tenant's content filter checks, and where it goes (a flagged text's report names them). */
export interface TextScope {
  tenantId: string;
  /** The author (a new account's id before its row is written); null when unknown. */
  userId: string | null;
  conversationId?: string | null;
  messageId?: string | null;
}

/**
 * A tenant's content filter (moderation/filters.service.ts implements it): the text to store, masked where the filter
 * masks; CONTENT_BLOCKED naming `field` where it rejects; where it flags, the text unchanged and a report filed.
 */
export interface TextFilter {
  apply(scope: TextScope, text: string, field: string): Promise<string>;
}

/** Without a content filter every text passes unchanged. */
export const NO_TEXT_FILTER: TextFilter = { apply: async (_scope, text) => text };

export interface TextRule {
  /** The argument or input field, reported as `extensions.field`. */
  field: string;
  /** How error messages name the text: "A name", "A title", "Status text". */
  label: string;
  /** At most this many characters (code points), after trimming. */
  max: number;
  /** Newlines and tabs allowed (message content); otherwise the text is one line (names, titles, status texts). */
  multiline?: boolean;
}

/**
 * `raw` trimmed, or null when nothing is left (empty or whitespace only). BAD_USER_INPUT naming the rule's field for
 * control characters (a one-line text allows none, a multiline one newline and tab), bidi controls (U+202A-U+202E,
 * U+2066-U+2069), text that shows nothing (zero-width characters and the like only) and text over `max`.
 */
export function cleanText(raw: string, rule: TextRule): string | null {
  const text = raw.trim();
  if (text === '') return null;
  const { field, label } = rule;
  if (rule.multiline ? CONTROL_BUT_NEWLINE_AND_TAB.test(text) : CONTROL.test(text) || LINE_SEPARATOR.test(text)) {
    throw badInput(
      `${label} cannot contain control characters${rule.multiline ? ' (other than newline and tab)' : ' or line breaks'}.`,
      field,
    );
  }
  if (BIDI_CONTROL.test(text)) {
    throw badInput(`${label} cannot contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069).`, field);
  }
  if (INVISIBLE_ONLY.test(text)) throw badInput(`${label} must contain something visible, not only invisible characters.`, field);
  if (countChars(text) > rule.max) throw badInput(`${label} is at most ${rule.max} characters.`, field);
  return text;
}

/** cleanText for text that must not be empty: empty or whitespace only is BAD_USER_INPUT too. */
export function requireText(raw: string, rule: TextRule): string {
  const text = cleanText(raw, rule);
  if (text === null) throw badInput(`${rule.label} cannot be empty.`, rule.field);
  return text;
}

/** Characters as people count them (code points; an emoji is one, not two UTF-16 units). */
function countChars(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * The name of a field in `value` (a string, or JSON-like arrays and objects of them, nested at any depth) holding a
 * NUL character, or null when there is none. `field` names `value` itself; an object's members are named by their
 * key, list items by their list's name.
 */
export function fieldWithNul(value: unknown, field: string): string | null {
  // Iterative: a parsed request body can nest deeper than the call stack allows.
  const pending: [unknown, string][] = [[value, field]];
  while (pending.length > 0) {
    const [item, name] = pending.pop()!;
    if (typeof item === 'string') {
      if (unstorable(item)) return name;
    } else if (Array.isArray(item)) {
      for (const child of item) pending.push([child, name]);
    } else if (isPlainObject(item)) {
      for (const [key, child] of Object.entries(item)) pending.push([child, key]);
    }
  }
  return null;
}

/**
 * A JSON-like object: its own prototype is Object's or none. An uploaded File (the multipart request spec puts it
 * among the variables) is not, and its bytes are not text: walking a 25 MB file's byte array key by key took seconds.
 */
function isPlainObject(item: unknown): item is Record<string, unknown> {
  if (item === null || typeof item !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(item);
  return proto === Object.prototype || proto === null;
}

/**
 * Text PostgreSQL cannot take: a NUL character, or an unpaired UTF-16 surrogate (JSON can carry "\ud800"; it has no
 * UTF-8 form, and the statement carrying it failed as an internal error).
 */
export const unstorable = (text: string): boolean => text.includes(NUL) || LONE_SURROGATE.test(text);

// A high surrogate not followed by a low one, or a low one not after a high one (String#isWellFormed, which the
// TypeScript target's library does not declare yet).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** BAD_USER_INPUT for a NUL character or an unpaired surrogate in `field`. */
export const nulRefused = (field: string) =>
  badInput('Text cannot contain the NUL character (U+0000) or an unpaired surrogate (U+D800 to U+DFFF alone).', field);

/** `value` unchanged, or BAD_USER_INPUT naming the field when any string in it holds a NUL character. */
export function refuseNul<T>(value: T, field = 'body'): T {
  const found = fieldWithNul(value, field);
  if (found !== null) throw nulRefused(found);
  return value;
}
