// Opening the inbox stream for a subscription (inbox.ts holds the stream): checking the cursor it resumes after, and
// letting the subscription's per-event resolvers find the stream for ConversationEvent.cursor.
import type { ConversationEventPayload } from './events.ts';
import { currentSnapshot } from '../db/sql/inbox.ts';
import { CursorSigner, cursorLimits, invalidCursor, snapshotXmax } from './inbox-cursor.ts';
import { InboxStream } from './inbox.ts';
import type { StreamOptions } from './stream.ts';

export interface OpenInboxOptions extends StreamOptions {
  /** AUTH_SECRET, and the tenant and viewer cursors are signed for. */
  secret: string;
  tenantId: string;
  /** The cursor to resume after, as the client sent it; null to start from now. */
  afterCursor: string | null;
  /** Whether the consumer reads cursors (a resumed stream always keeps them). */
  withCursors: boolean;
}

/** The inbox stream, from now or resumed after a cursor (refused with INVALID_CURSOR before anything is streamed). */
export async function openInbox(o: OpenInboxOptions): Promise<InboxStream> {
  const now = await currentSnapshot(o.prisma);
  const signer = new CursorSigner(o.secret, o.tenantId, o.viewerId, cursorLimits(now.maxInProgress));
  const resumeFrom = o.afterCursor === null ? null : signer.decode(o.afterCursor);
  // A cursor from a database whose transaction ids have not got that far (another cluster, restored with pg_dump).
  if (resumeFrom && snapshotXmax(resumeFrom.base.target)! > snapshotXmax(now.snapshot)!) throw invalidCursor();
  return new InboxStream({ ...o, signer, resumeFrom, withCursors: o.withCursors || resumeFrom !== null });
}

const INBOX_STREAM = Symbol('inboxStream');

/** Lets the subscription's per-event resolvers find its inbox stream (ConversationEvent.cursor). */
export function attachInbox(context: object, stream: InboxStream) {
  (context as Record<symbol, unknown>)[INBOX_STREAM] = stream;
}

/**
 * The cursor after `event` for the subscriber whose context this is; null outside an inbox stream. Reading it makes
 * the execution personal (shared-events.ts sees the context read), as a cursor is the subscriber's own.
 */
export function inboxCursorOf(context: object, event: ConversationEventPayload): string | null {
  const stream = (context as Record<symbol, unknown>)[INBOX_STREAM];
  return stream instanceof InboxStream ? stream.cursorAfter(event) : null;
}
