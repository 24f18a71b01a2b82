// The inbox stream's view of the event log (src/messaging/inbox.ts). A snapshot is PostgreSQL's "xmin:xmax:xip,..."
// text; an event was in it when pg_visible_in_snapshot(txid, snapshot): its transaction had committed when the
// snapshot was taken. The viewer's own MEMBER_JOINED/MEMBER_LEFT events are read through their partial index (a few
// rows per membership).
import { int, type RawClient } from './statement.ts';

/**
 * Room for PostgreSQL's auxiliary processes that may hold a transaction id: the autovacuum launcher and the special
 * workers of newer releases (PostgreSQL's own bound counts them with its backends).
 */
const AUXILIARY_PROCESSES = 8;

export interface SnapshotNow {
  snapshot: string;
  /**
   * The most transactions any snapshot of this database can list as in progress: PostgreSQL lists at most one per
   * process slot (connections, autovacuum and background workers, WAL senders) and prepared transaction.
   */
  maxInProgress: number;
}

interface SnapshotRow {
  snapshot: string;
  slots: number;
}

export const decodeSnapshot = (r: SnapshotRow): SnapshotNow => ({
  snapshot: r.snapshot,
  maxInProgress: int(r.slots) + AUXILIARY_PROCESSES,
});

/** The database's current snapshot, and how long the in-progress list of any of its snapshots can grow. */
export async function currentSnapshot(prisma: RawClient): Promise<SnapshotNow> {
  const rows = await prisma.$queryRaw<SnapshotRow[]>`
    SELECT pg_current_snapshot()::text AS snapshot,
      current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int
        + COALESCE(current_setting('autovacuum_worker_slots', true), current_setting('autovacuum_max_workers'))::int
        + current_setting('max_worker_processes')::int + current_setting('max_wal_senders')::int AS slots`;
  return decodeSnapshot(rows[0]);
}

interface LatestRow {
  snapshot: string;
  id: string | null;
  lastSequence: number | null;
}

/** The snapshot and, per conversation, its lastSequence (a row with no conversation: the viewer has none). */
export function decodeLatest(rows: LatestRow[]): { snapshot: string; sequences: Map<string, number> } {
  const sequences = new Map<string, number>();
  for (const r of rows) if (r.id !== null) sequences.set(r.id, int(r.lastSequence!));
  return { snapshot: rows[0].snapshot, sequences };
}

/**
 * In one statement, so one snapshot: that snapshot, and the lastSequence in it of the viewer's conversations and of
 * `also` (conversations the viewer may have left). A conversation's events up to its lastSequence are exactly the
 * ones the snapshot holds: every event updates lastSequence in its own transaction.
 */
export async function latestSequences(
  prisma: RawClient,
  viewerId: string,
  also: string[] = [],
): Promise<{ snapshot: string; sequences: Map<string, number> }> {
  const rows = await prisma.$queryRaw<LatestRow[]>`
    WITH ids AS (
      SELECT unnest(${also}::text[]) AS id
      UNION SELECT "conversationId" FROM "ConversationMember" WHERE "userId" = ${viewerId})
    SELECT s.snapshot, c.id, c."lastSequence"
    FROM (SELECT pg_current_snapshot()::text AS snapshot) s
    LEFT JOIN (ids JOIN "Conversation" c ON c.id = ids.id) ON true`;
  return decodeLatest(rows);
}

interface IdRow {
  id: string;
}

export const decodeId = (r: IdRow): string => r.id;

/** Conversations the viewer was a member of in `snapshot`, or joined or left after it. */
export async function membershipsSince(prisma: RawClient, viewerId: string, snapshot: string): Promise<string[]> {
  const rows = await prisma.$queryRaw<IdRow[]>`
    SELECT "conversationId" AS id FROM (
      SELECT DISTINCT ON ("conversationId") "conversationId", type, pg_visible_in_snapshot(txid, ${snapshot}::pg_snapshot) AS seen
      FROM "ConversationEvent" WHERE "userId" = ${viewerId} AND type IN ('MEMBER_JOINED', 'MEMBER_LEFT')
      ORDER BY "conversationId", sequence DESC) latest
    WHERE NOT seen OR type = 'MEMBER_JOINED'`;
  return rows.map(decodeId);
}

interface SequenceRow {
  id: string;
  sequence: number;
}

export const decodeSequence = (r: SequenceRow): [id: string, sequence: number] => [r.id, int(r.sequence)];

/** Per conversation, the last sequence `snapshot` holds (0: none). */
export async function visibleSequences(prisma: RawClient, ids: string[], snapshot: string): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<SequenceRow[]>`
    SELECT g.id, COALESCE((SELECT e.sequence FROM "ConversationEvent" e
      WHERE e."conversationId" = g.id AND pg_visible_in_snapshot(e.txid, ${snapshot}::pg_snapshot)
      ORDER BY e.sequence DESC LIMIT 1), 0) AS sequence
    FROM unnest(${ids}::text[]) AS g(id)`;
  return new Map(rows.map(decodeSequence));
}

/** Where a viewer stands in a conversation: everything up to `sequence` is behind them; `member` there or not. */
export interface Viewpoint {
  sequence: number;
  member: boolean;
}

interface ViewpointRow {
  id: string;
  given: number;
  ownSequence: number | null;
  ownType: string | null;
  visible: number | null;
}

/** A viewpoint from its row: a given sequence stands; else the snapshot's last event for a member, their departure otherwise. */
export function decodeViewpoint(r: ViewpointRow): [id: string, viewpoint: Viewpoint] {
  const member = r.ownType === 'MEMBER_JOINED';
  const sequence = r.given >= 0 ? r.given : member ? int(r.visible!) : int(r.ownSequence ?? 0);
  return [r.id, { sequence, member }];
}

/**
 * The viewpoint of a client that had, of each conversation, everything up to `given` (when known, else -1) or else
 * everything `snapshot` held. Up to a snapshot, only the viewer's last own membership event matters: after a
 * departure nothing is theirs to see, so the departure itself is as good a place as the snapshot's last event.
 */
export async function viewpoints(
  prisma: RawClient,
  viewerId: string,
  of: { id: string; given: number; snapshot: string }[],
): Promise<Map<string, Viewpoint>> {
  if (!of.length) return new Map();
  const rows = await prisma.$queryRaw<ViewpointRow[]>`
    SELECT g.id, g.given, own.sequence AS "ownSequence", own.type::text AS "ownType",
      CASE WHEN g.given < 0 AND own.type = 'MEMBER_JOINED' THEN COALESCE((SELECT e.sequence FROM "ConversationEvent" e
        WHERE e."conversationId" = g.id AND pg_visible_in_snapshot(e.txid, g.snap::pg_snapshot)
        ORDER BY e.sequence DESC LIMIT 1), 0) END AS visible
    FROM unnest(${of.map((o) => o.id)}::text[], ${of.map((o) => o.given)}::int[], ${of.map((o) => o.snapshot)}::text[]) AS g(id, given, snap)
    LEFT JOIN LATERAL (SELECT e.sequence, e.type FROM "ConversationEvent" e
      WHERE e."userId" = ${viewerId} AND e."conversationId" = g.id AND e.type IN ('MEMBER_JOINED', 'MEMBER_LEFT')
        AND CASE WHEN g.given < 0 THEN pg_visible_in_snapshot(e.txid, g.snap::pg_snapshot) ELSE e.sequence <= g.given END
      ORDER BY e.sequence DESC LIMIT 1) own ON true`;
  return new Map(rows.map(decodeViewpoint));
}

interface MinSequenceRow {
  sequence: number | null;
}

export const decodeMinSequence = (rows: MinSequenceRow[]): number | null => rows[0]?.sequence ?? null;

/** The sequence of the viewer's first MEMBER_JOINED in the conversation after `after` and up to `upTo`, or null. */
export async function nextJoin(
  prisma: RawClient,
  viewerId: string,
  conversationId: string,
  after: number,
  upTo: number,
): Promise<number | null> {
  const rows = await prisma.$queryRaw<MinSequenceRow[]>`
    SELECT min(sequence) AS sequence FROM "ConversationEvent"
    WHERE "userId" = ${viewerId} AND "conversationId" = ${conversationId} AND type = 'MEMBER_JOINED'
      AND sequence > ${after} AND sequence <= ${upTo}`;
  return decodeMinSequence(rows);
}

/** The viewer's conversations with more than `above` members (the large ones, whose topic their inbox follows). */
export async function largeConversations(prisma: RawClient, viewerId: string, above: number): Promise<string[]> {
  const rows = await prisma.$queryRaw<IdRow[]>`
    SELECT c.id FROM "ConversationMember" cm JOIN "Conversation" c ON c.id = cm."conversationId"
    WHERE cm."userId" = ${viewerId} AND c."memberCount" > ${above}`;
  return rows.map(decodeId);
}

/** A conversation's lastSequence (null: it no longer exists). */
export async function lastSequenceOf(prisma: RawClient, conversationId: string): Promise<number | null> {
  const rows = await prisma.$queryRaw<{ lastSequence: number }[]>`SELECT "lastSequence" FROM "Conversation" WHERE id = ${conversationId}`;
  return rows.length ? int(rows[0].lastSequence) : null;
}
