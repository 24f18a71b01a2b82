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

const VERSION = 1;
const MAX_CURSOR_LENGTH = 16_384;
const MAX_ENTRIES = 512;
const MAX_SEQUENCE = 2 ** 31 - 1;
const SNAPSHOT = /^(\d{1,20}):(\d{1,20}):(\d{1,20}(,\d{1,20})*)?$/;

/** The snapshot's xmax (the first transaction id it does not know about), or null when it is not a snapshot. */
export function snapshotXmax(snapshot: unknown): bigint | null {
  if (typeof snapshot !== 'string' || snapshot.length > 4096) return null;
  const m = SNAPSHOT.exec(snapshot);
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

/** Encodes and checks the cursors of one viewer. */
export class CursorSigner {
  private readonly key: Buffer;
  private readonly scope: string;

  constructor(secret: string, tenantId: string, viewerId: string) {
    this.key = createHmac('sha256', secret).update('parley inbox cursor').digest();
    this.scope = `${tenantId}\u0000${viewerId}\u0000`;
  }

  encode(p: InboxPosition): string {
    const body = Buffer.from(JSON.stringify([VERSION, p.base.target, p.base.old, p.base.split, p.entries])).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The position a cursor of this viewer names; anything else is BAD_USER_INPUT with reason INVALID_CURSOR. */
  decode(cursor: string): InboxPosition {
    const [body, mac, ...rest] = cursor.length <= MAX_CURSOR_LENGTH ? cursor.split('.') : [];
    if (!body || !mac || rest.length || !sameMac(mac, this.mac(body))) throw invalidCursor();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalidCursor();
    }
    const position = toPosition(parsed);
    if (!position) throw invalidCursor();
    return position;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(this.scope).update(body).digest('base64url').slice(0, 22);
  }
}

export const invalidCursor = () =>
  badInput('afterCursor is not a cursor this viewer received from conversationEvents (or it was signed with another AUTH_SECRET).', 'afterCursor', 'INVALID_CURSOR');

function sameMac(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The position a decoded cursor body describes, or null when it describes none (a signed cursor always does). */
function toPosition(value: unknown): InboxPosition | null {
  if (!Array.isArray(value) || value.length !== 5 || value[0] !== VERSION) return null;
  const [, target, old, split, entries] = value as unknown[];
  if (snapshotXmax(target) === null) return null;
  const rebasing = old !== null || split !== null;
  if (rebasing && (snapshotXmax(old) === null || typeof split !== 'string' || split.length > 200)) return null;
  if (!Array.isArray(entries) || entries.length > MAX_ENTRIES) return null;
  const isEntry = (e: unknown) =>
    Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && e[0].length <= 200 && Number.isInteger(e[1]) && e[1] >= 0 && e[1] <= MAX_SEQUENCE;
  if (!entries.every(isEntry)) return null;
  return { base: { target: target as string, old: rebasing ? (old as string) : null, split: rebasing ? (split as string) : null }, entries };
}
