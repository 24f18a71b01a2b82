// A content filter's patterns: checking what an admin may save, and compiling it into what runs on every filtered
// text. Plain words match case-insensitively on word boundaries; `/.../` patterns are regular expressions of a safe
// subset. JavaScript regular expressions backtrack and cannot be interrupted, so instead of a time bound (a worker per
// message) or a native engine (RE2), patterns are limited to what cannot backtrack badly: no backreferences, no
// lookaround, no quantified group holding a quantifier or an alternation (the classic (a+)+ and (a|aa)*), and the
// product of every quantifier's bound (an unbounded one counting as MAX_UNBOUNDED) at most MAX_QUANTIFIER_PRODUCT,
// so each start position costs a bounded number of steps.
import { badInput } from '../errors.ts';

export const MAX_PATTERNS = 500;
export const MAX_REGEX_PATTERNS = 20;
export const MAX_PATTERN_LENGTH = 100;
/** What an unbounded quantifier (`*`, `+`, `{n,}`) counts as in the product of bounds. */
const MAX_UNBOUNDED = 1_000;
/** One unbounded quantifier, or bounded ones whose bounds multiply up to this. */
const MAX_QUANTIFIER_PRODUCT = 1_000;
const MAX_GROUP_DEPTH = 4;

/** Letters, digits and `_` of any script: a word's neighbours must not be one of these. */
const WORD_CHAR = '[\\p{L}\\p{N}_]';

export interface CompiledFilter {
  /** Every plain word as one alternation on word boundaries; null without words. */
  words: RegExp | null;
  /** The words as saved, by their lower-case form (to name the one a match came from). */
  wordByLower: Map<string, string>;
  regexes: { pattern: string; regex: RegExp }[];
}

const isRegex = (pattern: string) => pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/');

/** The patterns as they will be saved (trimmed, repeats dropped); BAD_USER_INPUT (field patterns) for any bad one. */
export function checkPatterns(raw: string[]): string[] {
  if (raw.length > MAX_PATTERNS) throw badInput(`A content filter has at most ${MAX_PATTERNS} patterns.`, 'patterns', 'TOO_MANY_PATTERNS');
  const seen = new Set<string>();
  const out: string[] = [];
  for (const entry of raw) {
    const pattern = entry.trim();
    if (!pattern) throw badInput('A pattern cannot be empty.', 'patterns', 'INVALID_PATTERN');
    if ([...pattern].length > MAX_PATTERN_LENGTH)
      throw badInput(`A pattern is at most ${MAX_PATTERN_LENGTH} characters.`, 'patterns', 'INVALID_PATTERN');
    if (/\p{Cc}/u.test(pattern)) throw badInput('A pattern cannot contain control characters.', 'patterns', 'INVALID_PATTERN');
    if (isRegex(pattern)) checkRegex(pattern.slice(1, -1), pattern);
    const key = isRegex(pattern) ? pattern : pattern.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(pattern);
  }
  if (out.filter(isRegex).length > MAX_REGEX_PATTERNS)
    throw badInput(`A content filter has at most ${MAX_REGEX_PATTERNS} regular expressions.`, 'patterns', 'TOO_MANY_PATTERNS');
  return out;
}

export function compile(patterns: string[]): CompiledFilter {
  const words = patterns.filter((p) => !isRegex(p));
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  return {
    words: words.length ? new RegExp(`(?<!${WORD_CHAR})(?:${escaped.join('|')})(?!${WORD_CHAR})`, 'giu') : null,
    wordByLower: new Map(words.map((w) => [w.toLowerCase(), w])),
    regexes: patterns.filter(isRegex).map((pattern) => ({ pattern, regex: new RegExp(pattern.slice(1, -1), 'giu') })),
  };
}

/** The first pattern that matches `text`, or null. */
export function firstMatch(filter: CompiledFilter, text: string): string | null {
  if (filter.words) {
    filter.words.lastIndex = 0;
    const m = filter.words.exec(text);
    if (m) return filter.wordByLower.get(m[0].toLowerCase()) ?? m[0];
  }
  for (const { pattern, regex } of filter.regexes) {
    regex.lastIndex = 0;
    if (regex.test(text)) return pattern;
  }
  return null;
}

/** `text` with every match replaced by as many asterisks as it has characters. */
export function mask(filter: CompiledFilter, text: string): string {
  const stars = (match: string) => '*'.repeat([...match].length);
  let out = filter.words ? text.replace(filter.words, stars) : text;
  for (const { regex } of filter.regexes) out = out.replace(regex, stars);
  return out;
}

interface Frame {
  quantified: boolean;
  alternation: boolean;
}

/** BAD_USER_INPUT unless `body` is a valid regular expression of the safe subset (see the head of this file). */
function checkRegex(body: string, pattern: string): void {
  const refuse = (why: string) => badInput(`Pattern ${pattern}: ${why}.`, 'patterns', 'UNSAFE_PATTERN');
  try {
    new RegExp(body, 'u');
  } catch {
    throw badInput(`Pattern ${pattern} is not a valid regular expression.`, 'patterns', 'INVALID_PATTERN');
  }
  if (new RegExp(`^(?:${body})$`, 'u').test('')) throw refuse('it matches empty text');
  const stack: Frame[] = [{ quantified: false, alternation: false }];
  // What a quantifier would apply to: null after a quantifier, `|` or `(`, a closed group's frame, or true for an atom.
  let last: Frame | boolean | null = null;
  let product = 1;
  for (let i = 0; i < body.length;) {
    const c = body[i];
    if (c === '\\') {
      const next = body[i + 1];
      if (/[1-9]/.test(next) || next === 'k') throw refuse('backreferences are not allowed');
      i = (next === 'p' || next === 'P' || next === 'u') && body[i + 2] === '{' ? body.indexOf('}', i) + 1 : i + 2;
      last = true;
    } else if (c === '[') {
      i = classEnd(body, i);
      last = true;
    } else if (c === '(') {
      if (body.startsWith('(?', i) && !body.startsWith('(?:', i)) throw refuse('lookarounds and named groups are not allowed');
      if (stack.length > MAX_GROUP_DEPTH) throw refuse(`groups nest at most ${MAX_GROUP_DEPTH} deep`);
      stack.push({ quantified: false, alternation: false });
      i += body.startsWith('(?:', i) ? 3 : 1;
      last = null;
    } else if (c === ')') {
      const frame = stack.pop()!;
      stack[stack.length - 1].quantified ||= frame.quantified;
      last = frame;
      i++;
    } else if (c === '|') {
      stack[stack.length - 1].alternation = true;
      last = null;
      i++;
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      const q = quantifier(body, i);
      if (!q) {
        last = true;
        i++;
        continue;
      }
      // Repeating such a group twice or more is what backtracks exponentially; `?` only tries it or not.
      if (q.max > 1 && last && typeof last === 'object' && (last.quantified || last.alternation))
        throw refuse('a repeated group cannot hold a repetition or an alternation');
      product *= q.max === Infinity ? MAX_UNBOUNDED : q.max + 1;
      if (product > MAX_QUANTIFIER_PRODUCT) throw refuse('too many or too large repetitions');
      stack[stack.length - 1].quantified = true;
      i = q.end < body.length && body[q.end] === '?' ? q.end + 1 : q.end;
      last = null;
    } else {
      last = true;
      i++;
    }
  }
}

/** The index after the character class opening at `start`. */
function classEnd(body: string, start: number): number {
  for (let i = start + 1; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === ']') return i + 1;
  }
  return body.length;
}

/** The quantifier at `i` (its upper bound and where it ends), or null when `{` there is a literal. */
function quantifier(body: string, i: number): { max: number; end: number } | null {
  const c = body[i];
  if (c === '*' || c === '+') return { max: Infinity, end: i + 1 };
  if (c === '?') return { max: 1, end: i + 1 };
  const m = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(i));
  if (!m) return null;
  const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
  return { max, end: i + m[0].length };
}
