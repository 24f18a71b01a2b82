// Every inbox cursor the server issues is one it accepts: in the worst case of the list (a slow reader keeps a sweep
// waiting while every conversation has traffic) and of the snapshot (a busy PostgreSQL cluster with many
// transactions in flight, whose in-progress list runs to thousands of characters).
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { useServer } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import { subscribe } from './helpers/ws.ts';
import { CreateGroup } from './messaging-ops.ts';
import {
  cursorReader,
  Inbox,
  key,
  openTestInbox,
  readInbox,
  readLive,
  readUntil,
  send,
  takeExactly,
  type InboxRead,
} from './helpers/inbox.ts';
import { CursorSigner, cursorLimits, MAX_LISTED, type InboxPosition } from '../src/messaging/inbox-cursor.ts';
import { currentSnapshot } from '../src/db/sql/inbox.ts';
import type { ConversationEventPayload } from '../src/messaging/events.ts';

/** Conversations with traffic during the sweep: their entries alone would take some 20 KB. */
const CONVERSATIONS = 360;

/** task(0..n-1), a few at a time; the results in that order. */
async function each<T>(n: number, task: (i: number) => Promise<T>, parallel = 8): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) out[i] = await task(i);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/** A snapshot with `inProgress` transactions in flight spread over the widest range PostgreSQL allows (2^31). */
function busySnapshot(inProgress: number): string {
  const xmin = 2n ** 62n;
  const step = 2n ** 31n / BigInt(inProgress + 1);
  const xips = Array.from({ length: inProgress }, (_, i) => xmin + BigInt(i) * step);
  return `${xmin}:${xmin + 2n ** 31n - 1n}:${xips.join(',')}`;
}

describe('inbox cursors within their limits', () => {
  const server = useServer();

  it('accepts the largest cursor it can issue: two snapshots as busy as the database allows, and a full list', async () => {
    const s = server();
    const { maxInProgress } = await currentSnapshot(s.services().prisma);
    const [connections] = (await s.services().prisma.$queryRaw<{ n: number }[]>`SELECT current_setting('max_connections')::int AS n`).map(
      (r) => r.n,
    );
    expect(maxInProgress).toBeGreaterThan(connections);
    // A large shared cluster's bound (max_connections 5000: at 20 digits per transaction id, 100,000 characters of
    // snapshot), and this database's.
    for (const inProgress of [5_000, maxInProgress]) {
      const signer = new CursorSigner(s.config.authSecret, 'default', 'viewer', cursorLimits(inProgress));
      const entries = Array.from({ length: MAX_LISTED }, (_, i) => [crypto.randomUUID(), 2 ** 31 - 1 - i] as const);
      const worst: InboxPosition = {
        base: { target: busySnapshot(inProgress), old: busySnapshot(inProgress), split: crypto.randomUUID() },
        entries,
      };
      const cursor = signer.encode(worst);
      expect(signer.decode(cursor)).toEqual(worst);
      expect(() => signer.encode({ ...worst, entries: [...entries, ['one-more', 1]] })).toThrow();
      expect(() => signer.encode({ ...worst, base: { ...worst.base, target: busySnapshot(inProgress + 1) } })).toThrow();
    }
  });

  // Hundreds of conversations to set up: longer than the default timeout on a loaded machine.
  it(
    'never lists more conversations than a cursor holds, however many have traffic while a slow reader holds up a sweep',
    { timeout: 120_000 },
    async () => {
      const s = server();
      const [v, a] = [await s.user(), await s.user()];
      const groups = await each(CONVERSATIONS, (i) =>
        s.ok(CreateGroup, { title: `W${i}`, memberIds: [v.id] }, { token: a.token }).then((r) => r.createGroupConversation.id),
      );
      const sendToAll = (content: string) => each(CONVERSATIONS, (i) => send(s, a, groups[i], content));
      const live = await openTestInbox(s, v, null, 5);
      const start = await readLive(live, () => send(s, a, groups[0], 'probe'));
      await live.return!();

      // A message in every conversation while away: the resume sweeps them all, five events at a time. While it waits
      // for its reader, every conversation gets a new message.
      const sent = await sendToAll('missed');
      const resumed = await openTestInbox(s, v, start.cursor, 5);
      const reads: InboxRead[] = [await readInbox(resumed)];
      sent.push(...(await sendToAll('while the sweep waits')));
      while (reads.length < sent.length) reads.push(await readInbox(resumed));
      const marker = await send(s, a, groups[0], 'marker');
      expect((await readInbox(resumed)).event.messageId).toBe(marker.id); // nothing else was waiting
      await resumed.return!();

      // Each message once, each conversation in order.
      expect(reads.map((r) => r.event.messageId).sort()).toEqual(sent.map((m) => m.id).sort());
      for (const g of groups) {
        const sequences = reads.filter((r) => r.event.conversationId === g).map((r) => r.event.sequence);
        expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
      }
      // Every cursor is one the server accepts; the list filled up to its bound and no further.
      const read = await cursorReader(s, v);
      const listed = reads.map((r) => read(r.cursor).entries.length);
      const fullest = listed.indexOf(Math.max(...listed));
      expect(listed[fullest]).toBeGreaterThan(MAX_LISTED / 2);
      expect(listed[fullest]).toBeLessThanOrEqual(MAX_LISTED);

      // The fullest cursor resumes exactly after its event.
      const again = await openTestInbox(s, v, reads[fullest].cursor, 5);
      const after = reads.slice(fullest + 1).map((r) => r.event);
      const rest: ConversationEventPayload[] = [];
      while (rest.length <= after.length) rest.push((await readInbox(again)).event);
      expect(rest.map(key).sort()).toEqual([...after.map(key), `${groups[0]}:${marker.sequence}`].sort());
      const end = await send(s, a, groups[1], 'end');
      expect((await readInbox(again)).event.messageId).toBe(end.id);
      await again.return!();
    },
  );

  it.skipIf(!process.env.TEST_DATABASE_URL)('issues resumable cursors while many transactions are in flight on PostgreSQL', async () => {
    const s = server();
    const [v, a] = [await s.user(), await s.user()];
    const conv = await makeContacts(s, a, v); // more messages than a request's three
    // Forty open transactions with an id each (anywhere on the cluster: ids and snapshots are cluster-wide).
    const clients = Array.from({ length: 40 }, () => new pg.Client({ connectionString: process.env.TEST_DATABASE_URL }));
    let cursor: string;
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const xids = await Promise.all(
        clients.map((c) => c.query('BEGIN').then(() => c.query<{ id: string }>('SELECT pg_current_xact_id()::text AS id'))),
      );
      const inbox = subscribe(s.ws({ token: v.token }), Inbox, {});
      await inbox.live(() => send(s, a, conv, 'probe'));
      cursor = (await readUntil(inbox, (await send(s, a, conv, 'last seen')).id)).marker.cursor!;
      const inProgress = (await cursorReader(s, v))(cursor).base.target.split(':')[2].split(',');
      expect(inProgress).toEqual(expect.arrayContaining(xids.map((r) => r.rows[0].id)));
    } finally {
      await Promise.all(
        clients.map((c) =>
          c
            .query('COMMIT')
            .catch(() => undefined)
            .finally(() => c.end()),
        ),
      );
    }
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push(await send(s, a, conv, `missed ${i}`));
    const resumed = subscribe(s.ws({ token: v.token }), Inbox, { cursor });
    const got = await takeExactly(resumed, 3, () => send(s, a, conv, 'live'));
    expect(got.map((e) => e.message?.id)).toEqual(missed.map((m) => m.id));
  });
});
