// The inbox cursor: where a client stands in every conversation at once, small enough to come with every event.
//
// Why not a global event id: ids handed out by a sequence are not in commit order (a transaction holding id 7 may
// commit after the one holding id 8), so "every event after id 8" skips 7, and any overlap window that would catch
// it is a guess. Why not every conversation's last sequence: a cursor the size of the viewer's conversation list.
//
// Instead a cursor holds a database snapshot (PostgreSQL's own "which transactions had committed": xmin:xmax:xip)
// and, for the few conversations where the client is somewhere else, their sequence:
//   "of each conversation, the client has exactly the events the snapshot held (those it could see: while a member),
//    except the listed conversations, of which it has everything up to the listed sequence".
// Each event row stores its transaction's id (ConversationEvent.txid), so "held by the snapshot" is exact, and in
// one conversation the events a snapshot holds are always a prefix (writers serialise on the conversation's row).
// While the stream rebases onto a newer snapshot (inbox.ts, sweeps), conversations up to `split` (by id) are
// already measured against the new `target`, the others still against `old`.
//
// A cursor the server issues is one it accepts: encode() checks what it issues with decode()'s own rules, under one
// set of limits. The list is bounded by MAX_LISTED (the stream holds a conversation back rather than list one more).
// A snapshot's in-progress list is as long as the database's transactions in flight, on a busy shared cluster
// thousands of characters: it travels as differences in base 36, and its bound is the database's own (the most
// transactions it can have in flight, read from its settings: db/sql/inbox.ts).
//
// The cursor is signed (HMAC with AUTH_SECRET) for one tenant and viewer: nobody can make one up or use another's,
// and whatever it names, the stream only ever replays conversations from the log of the viewer's own memberships.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { badInput } from '../errors.ts';

/** The snapshot(s) a position is measured against. */
export interface CursorBase {
  /** Snapshot for conversations with id <= split (all of them when split is null). */
  readonly target: string;
  /** Snapshot for conversations with id > split, while a rebase is under way; else null. */
  readonly old: string | null;
  readonly split: string | null;
}

/** Where a client of the inbox stands: the base, and the conversations where it stands elsewhere. */
export interface InboxPosition {
  readonly base: CursorBase;
  readonly entries: readonly (readonly [conversationId: string, sequence: number])[];
}

/** The bounds of an inbox cursor, the same for the cursors the server issues and the ones it accepts. */
export interface CursorLimits {
  /** Transactions a snapshot lists as in progress at most (the database's own bound). */
  readonly maxInProgress: number;
  /** Characters of the longest cursor: two snapshots of maxInProgress transactions and MAX_LISTED conversations. */
  readonly maxLength: number;
}

/** Conversations a cursor lists at most. */
export const MAX_LISTED = 128;
const VERSION = 2;
const MAX_SEQUENCE = 2 ** 31 - 1;
/** Conversation ids (uuids): one character is one byte of the cursor's JSON. */
const MAX_ID_LENGTH = 64;
const ID = /^[\w-]{1,64}$/;
const MAC_LENGTH = 22;
const SNAPSHOT = /^(\d{1,20}):(\d{1,20}):(\d{1,20}(,\d{1,20})*)?$/;
/** xmin, then xmax and each in-progress id as the difference to the one before, in base 36 (xmax - xmin < 2^32). */
const COMPACT = /^(\d{1,20}):([\da-z]{1,7}):([\da-z]{1,7}(,[\da-z]{1,7})*)?$/;
const compactLength = (maxInProgress: number) => 20 + 1 + 7 + 1 + 8 * maxInProgress;

export function cursorLimits(maxInProgress: number): CursorLimits {
  // The longest body: [2,"<snapshot>","<snapshot>","<split>",[["<id>",2147483647],...]], then base64url and the MAC.
  const json = 3 + 2 * (compactLength(maxInProgress) + 3) + (MAX_ID_LENGTH + 3) + 3 + MAX_LISTED * (MAX_ID_LENGTH + 16);
  return { maxInProgress, maxLength: Math.ceil(json / 3) * 4 + 1 + MAC_LENGTH };
}

/** The snapshot's xmax (the first transaction id it does not know about), or null when it is not a snapshot. */
export function snapshotXmax(snapshot: unknown): bigint | null {
  const m = typeof snapshot === 'string' ? SNAPSHOT.exec(snapshot) : null;
  if (!m) return null;
  const [xmin, xmax] = [BigInt(m[1]), BigInt(m[2])];
  if (xmin > xmax) return null;
  let previous = xmin;
  for (const xip of m[3]?.split(',') ?? []) {
    const id = BigInt(xip);
    if (id < previous || id >= xmax) return null;
    previous = id;
  }
  return xmax;
}

function compactSnapshot(snapshot: string): string {
  const [xmin, xmax, xips] = snapshot.split(':').map((part, i) => (i < 2 ? BigInt(part) : part)) as [bigint, bigint, string];
  let previous = xmin;
  const steps = (xips ? xips.split(',') : []).map((xip) => {
    const step = BigInt(xip) - previous;
    previous += step;
    return step.toString(36);
  });
  return `${xmin}:${(xmax - xmin).toString(36)}:${steps.join(',')}`;
}

/** The snapshot a compact one stands for, or null when it is none (or lists more than maxInProgress transactions). */
function expandSnapshot(compact: unknown, limits: CursorLimits): string | null {
  const m = typeof compact === 'string' && compact.length <= compactLength(limits.maxInProgress) ? COMPACT.exec(compact) : null;
  const steps = m?.[3]?.split(',') ?? [];
  if (!m || steps.length > limits.maxInProgress) return null;
  let previous = BigInt(m[1]);
  const xips = steps.map((step) => (previous += BigInt(parseInt(step, 36))));
  const snapshot = `${m[1]}:${BigInt(m[1]) + BigInt(parseInt(m[2], 36))}:${xips.join(',')}`;
  return snapshotXmax(snapshot) === null ? null : snapshot;
}

/** Encodes and checks the cursors of one viewer. */
export class CursorSigner {
  private readonly key: Buffer;
  private readonly scope: string;

  constructor(
    secret: string,
    tenantId: string,
    viewerId: string,
    private readonly limits: CursorLimits,
  ) {
    this.key = createHmac('sha256', secret).update('parley inbox cursor').digest();
    this.scope = `${tenantId}\u0000${viewerId}\u0000`;
  }

  encode(p: InboxPosition): string {
    const { target, old, split } = p.base;
    const fields = [VERSION, compactSnapshot(target), old === null ? null : compactSnapshot(old), split, p.entries];
    const body = Buffer.from(JSON.stringify(fields)).toString('base64url');
    // A position decode() would refuse is a fault of the stream that reached it: never issued as a cursor.
    if (!toPosition(fields, this.limits) || body.length + 1 + MAC_LENGTH > this.limits.maxLength) {
      throw new Error('inbox position outside the cursor limits');
    }
    return `${body}.${this.mac(body)}`;
  }

  /** The position a cursor of this viewer names; anything else is BAD_USER_INPUT with reason INVALID_CURSOR. */
  decode(cursor: string): InboxPosition {
    const [body, mac, ...rest] = cursor.length <= this.limits.maxLength ? cursor.split('.') : [];
    if (!body || !mac || rest.length || !sameMac(mac, this.mac(body))) throw invalidCursor();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalidCursor();
    }
    const position = toPosition(parsed, this.limits);
    if (!position) throw invalidCursor();
    return position;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(this.scope).update(body).digest('base64url').slice(0, MAC_LENGTH);
  }
}

export const invalidCursor = () =>
  badInput(
    'afterCursor is not a cursor this viewer received from conversationEvents (or it was signed with another AUTH_SECRET).',
    'afterCursor',
    'INVALID_CURSOR',
  );

function sameMac(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The position a cursor body describes, or null when it describes none within the limits (a signed one always does). */
function toPosition(value: unknown, limits: CursorLimits): InboxPosition | null {
  if (!Array.isArray(value) || value.length !== 5 || value[0] !== VERSION) return null;
  const [, compactTarget, compactOld, split, entries] = value as unknown[];
  const target = expandSnapshot(compactTarget, limits);
  const old = compactOld === null ? null : expandSnapshot(compactOld, limits);
  if (target === null || (compactOld !== null && old === null)) return null;
  if ((old === null) !== (split === null) || (split !== null && (typeof split !== 'string' || (split !== '' && !ID.test(split)))))
    return null;
  if (!Array.isArray(entries) || entries.length > MAX_LISTED) return null;
  const isEntry = (e: unknown) =>
    Array.isArray(e) &&
    e.length === 2 &&
    typeof e[0] === 'string' &&
    ID.test(e[0]) &&
    Number.isInteger(e[1]) &&
    e[1] >= 0 &&
    e[1] <= MAX_SEQUENCE;
  if (!entries.every(isEntry)) return null;
  return { base: { target, old, split: split as string | null }, entries };
}
