// The inbox stream (conversationEvents without conversationId): every conversation of the viewer in one stream,
// including ones they join later, resumable after a gap of any length with the cursor every event carries
// (inbox-cursor.ts says what a cursor holds, and why).
//
// Per conversation the stream knows the last sequence it queued (or passed over) and whether the viewer is a member
// there. A viewer sees a conversation from their own MEMBER_JOINED up to and including their own MEMBER_LEFT; in
// between two memberships nothing. A conversation met for the first time is placed by the base snapshot: what the
// snapshot held of it is behind the client (if they were a member then), else their next join is where it starts.
//
// The cursor lists the conversations where the client stands elsewhere than the base says; every delivered event
// lists its conversation. When the list grows, the stream rebases (a sweep): it takes a snapshot of now and, one
// conversation after another in id order, brings each up to it and drops it from the list when the client now
// stands exactly there. A resume is such a sweep from the cursor's base, so a backlog over any number of
// conversations is read one conversation and one batch at a time, paused while the consumer is behind, and every
// cursor on the way stays small: swept conversations are measured against the new snapshot, the rest against the
// old. A cursor taken during a sweep first finishes that sweep (against its own snapshot), then sweeps to now.
//
// The list never grows past MAX_LISTED, however many conversations have traffic while a sweep waits for a slow
// consumer: a conversation that would need one more entry is held, its new events left in the log, until the next
// sweep. That sweep's snapshot is taken after them, so it reads them back: late, never lost, never twice.
import type { ConversationEventPayload } from './events.ts';
import { lastSequenceOf, latestSequences, membershipsSince, nextJoin, viewpoints, visibleSequences } from '../db/sql/inbox.ts';
import { CursorSigner, MAX_LISTED, type CursorBase, type InboxPosition } from './inbox-cursor.ts';
import { LogStream, type StreamOptions } from './stream.ts';

/** Conversations read per statement while sweeping. */
const SWEEP_BATCH = 100;
/** Conversations a cursor lists before the stream rebases onto a newer snapshot (more only while one is under way). */
const REBASE_FROM = 8;

export interface InboxStreamOptions extends StreamOptions {
  signer: CursorSigner;
  /** The position to resume from (a decoded afterCursor), or null to start from now. */
  resumeFrom: InboxPosition | null;
  /** Whether the consumer reads cursors: if not, the stream keeps none and never rebases to keep them small. */
  withCursors: boolean;
}

interface Sweep {
  /** Per conversation to sweep, the last sequence the sweep's snapshot holds. */
  readonly upTo: Map<string, number>;
  /** The conversations to sweep, in id order, and how many are done. */
  readonly order: string[];
  index: number;
}

export class InboxStream extends LogStream {
  private readonly signer: CursorSigner;
  private readonly withCursors: boolean;
  private readonly resuming: boolean;
  /** Conversations where the viewer is not a member at their `last` sequence. */
  private readonly out = new Set<string>();
  /** Conversations where the client stands elsewhere than `base` says, and where: the cursor's entries. */
  private readonly dirty = new Map<string, number>();
  /** Conversations whose new events are left in the log for the next sweep: the list had no room for them. */
  private readonly held = new Set<string>();
  private base: CursorBase = { target: '', old: null, split: null };
  private sweep: Sweep | null = null;
  private sweepQueued = false;
  private sweepAgain = false;
  /** How many conversations the cursor listed after the last sweep (the next one waits for twice as many). */
  private listedAfterSweep = 0;

  constructor(o: InboxStreamOptions) {
    super(o);
    this.signer = o.signer;
    this.withCursors = o.withCursors;
    this.resuming = o.resumeFrom !== null;
    if (o.resumeFrom) {
      this.base = o.resumeFrom.base;
      for (const [cid, sequence] of o.resumeFrom.entries) this.dirty.set(cid, sequence);
    }
    this.open((event, resync) => o.topics.followInbox(o.viewerId, { event, resync, followedLate: (cid) => this.followedLate(cid) }));
  }

  /** The cursor to resume after `event`, when it is the event the consumer took last (else null). */
  cursorAfter(event: ConversationEventPayload): string | null {
    return event === this.taken && this.takenNote ? this.signer.encode(this.takenNote as InboxPosition) : null;
  }

  protected async start() {
    if (!this.resuming) {
      // From now: what the snapshot holds is behind the client, in every conversation they are a member of.
      const now = await latestSequences(this.prisma, this.viewerId);
      this.base = { target: now.snapshot, old: null, split: null };
      for (const [cid, sequence] of now.sequences) this.last.set(cid, sequence);
      return;
    }
    if (this.base.old === null) return this.rebase();
    this.sweepAgain = true;
    await this.finishSweep();
  }

  protected resync() {
    return this.rebase();
  }

  /** A large conversation's topic followed late (inbox-follow.ts): read what it published before from the log. */
  private followedLate(cid: string) {
    this.run(async () => {
      const latest = await lastSequenceOf(this.prisma, cid);
      if (latest === null) return;
      await this.place([cid]);
      await this.catchUp(cid, latest);
    });
  }

  protected handle(event: ConversationEventPayload) {
    // Held: the next sweep's snapshot, taken after this event committed, reads it back from the log.
    if (!this.held.has(event.conversationId)) return super.handle(event);
  }

  protected take(event: ConversationEventPayload): boolean {
    const cid = event.conversationId;
    if (!this.mayList(cid, event.sequence)) return this.hold(cid);
    const own = event.userId === this.viewerId;
    if (own && event.type === 'MEMBER_JOINED') this.out.delete(cid);
    else if (this.out.has(cid)) {
      this.advance(cid, event.sequence); // not theirs to see
      return true;
    }
    if (own && event.type === 'MEMBER_LEFT') this.out.add(cid);
    this.advance(cid, event.sequence);
    // Noted with the event: where the client stands once it has it (its cursor, encoded only if asked for).
    this.emit(event, this.positionNote());
    return true;
  }

  protected untracked(event: ConversationEventPayload) {
    return this.place([event.conversationId]).then(() => {
      if (this.last.has(event.conversationId)) return this.handle(event);
    });
  }

  /** Outside a membership, the log up to the viewer's next join is not theirs: skip it (or everything up to upTo). */
  protected beforeRead(cid: string, upTo: number): boolean | Promise<boolean> {
    if (!this.out.has(cid)) return true;
    if (!this.mayList(cid, upTo)) return this.hold(cid);
    const from = this.last.get(cid)!;
    return nextJoin(this.prisma, this.viewerId, cid, from, upTo).then((join) => {
      if (join === null) this.advance(cid, upTo);
      else if (join - 1 > from) this.advance(cid, join - 1);
      return join !== null;
    });
  }

  protected drained() {
    if (this.sweep) this.later(() => this.continueSweep());
  }

  private advance(cid: string, sequence: number) {
    this.last.set(cid, sequence);
    if (!this.withCursors) return;
    this.dirty.set(cid, sequence);
    const rebaseFrom = Math.min(Math.max(REBASE_FROM, 2 * this.listedAfterSweep), MAX_LISTED / 2);
    if (!this.sweep && this.dirty.size > rebaseFrom) this.sweepSoon();
  }

  /**
   * Whether the cursor has room for the conversation up to `sequence`. Conversations that stay listed are at most
   * MAX_LISTED - 1; the last entry is the sweep's, for the conversation it is bringing up to its snapshot (listed only
   * until it gets there).
   */
  /** A delta of a conversation the viewer is out of (between memberships) is not theirs. */
  protected override showsDelta(event: ConversationEventPayload): boolean {
    return !this.out.has(event.conversationId);
  }

  /** Where the client stands once it has the event (its cursor, encoded only if asked for). */
  protected override positionNote(): unknown {
    return this.withCursors ? { base: this.base, entries: [...this.dirty] } : undefined;
  }

  private mayList(cid: string, sequence: number): boolean {
    if (!this.withCursors) return true;
    const sweeping = this.sweep?.order[this.sweep.index];
    const upTo = sweeping === undefined ? -1 : this.sweep!.upTo.get(sweeping)!;
    if (cid === sweeping && sequence <= upTo) return true;
    const passing = sweeping !== undefined && this.dirty.has(sweeping) && this.dirty.get(sweeping)! <= upTo;
    if (this.dirty.has(cid) && !(cid === sweeping && passing)) return true;
    return this.dirty.size - (passing ? 1 : 0) < MAX_LISTED - 1;
  }

  /** Leaves the conversation's new events in the log for the next sweep; false: take no more of them now. */
  private hold(cid: string): false {
    this.held.add(cid);
    if (this.sweep) this.sweepAgain = true;
    else this.sweepSoon();
    return false;
  }

  private sweepSoon() {
    if (this.sweepQueued) return;
    this.sweepQueued = true;
    this.later(() => {
      this.sweepQueued = false;
      return this.rebase();
    });
  }

  /** The snapshot a conversation is measured against. */
  private baseOf(cid: string): string {
    const { target, old, split } = this.base;
    return old !== null && cid > split! ? old : target;
  }

  /** Gives conversations the stream has no place in yet theirs: the cursor's entry, or what their base puts behind. */
  private async place(cids: string[]) {
    const unplaced = cids.filter((cid) => !this.last.has(cid));
    const of = unplaced.map((id) => ({ id, given: this.dirty.get(id) ?? -1, snapshot: this.baseOf(id) }));
    for (const [cid, p] of await viewpoints(this.prisma, this.viewerId, of)) {
      this.last.set(cid, p.sequence);
      if (!p.member) this.out.add(cid);
    }
  }

  /** Sweeps every conversation whose events the viewer may have missed onto a snapshot of now (see the top). */
  private async rebase() {
    if (this.sweep) {
      this.sweepAgain = true;
      return;
    }
    const since = this.base.target;
    const held = [...this.held];
    this.held.clear(); // the snapshot below is taken after every event left in the log for them
    const maybe = await membershipsSince(this.prisma, this.viewerId, since);
    const now = await latestSequences(this.prisma, this.viewerId, [...new Set([...maybe, ...this.dirty.keys(), ...held])]);
    for (const cid of this.dirty.keys()) if (!now.sequences.has(cid)) this.dirty.delete(cid); // deleted since
    this.base = { target: now.snapshot, old: since, split: '' };
    this.sweep = { upTo: now.sequences, order: [...now.sequences.keys()].sort(), index: 0 };
    await this.continueSweep();
  }

  /** Finishes the sweep a resumed cursor was taken in, against that sweep's own snapshot. */
  private async finishSweep() {
    const { target, old, split } = this.base;
    const maybe = await membershipsSince(this.prisma, this.viewerId, old!);
    const order = [...new Set([...maybe, ...this.dirty.keys()])].filter((cid) => cid > split!).sort();
    this.sweep = { upTo: await visibleSequences(this.prisma, order, target), order, index: 0 };
    await this.continueSweep();
  }

  private async continueSweep() {
    const sweep = this.sweep!;
    while (sweep.index < sweep.order.length) {
      const batch = sweep.order.slice(sweep.index, sweep.index + SWEEP_BATCH);
      await this.place(batch);
      for (const cid of batch) {
        const upTo = sweep.upTo.get(cid)!;
        if (!(await this.catchUp(cid, upTo))) {
          this.paused = !this.ended; // the queue is full: drained() carries on
          return;
        }
        this.settle(cid, upTo);
        sweep.index++;
      }
    }
    this.sweep = null;
    this.base = { target: this.base.target, old: null, split: null };
    this.listedAfterSweep = this.dirty.size;
    if (this.sweepAgain) {
      this.sweepAgain = false;
      await this.rebase();
    }
  }

  /**
   * The conversation is measured against the sweep's snapshot from now on: listed only if the client is past it
   * (events taken live). Short of it only when the conversation was deleted: nothing of it is left to replay.
   */
  private settle(cid: string, upTo: number) {
    this.base = { ...this.base, split: cid };
    const at = this.last.get(cid)!;
    if (at > upTo) this.dirty.set(cid, at);
    else this.dirty.delete(cid);
  }
}
