// Content filters: each action (REJECT, MASK, FLAG) on each filtered text (message content sent and edited, display
// names at sign-up and in updateProfile, group titles created and renamed, status text), words on word boundaries and
// safe regular expressions, patterns refused, who may read and save the filter, and a change reaching every instance.
import { describe, expect, it } from 'vitest';
import { useServer, useTwoInstances, type TestServer, type TestUser } from './helpers/server.ts';
import { titled } from './helpers/faults.ts';
import { as, code, group, ok, reason, send, team, type Team } from './helpers/moderation.ts';
import { checkPatterns, compile, firstMatch } from '../src/moderation/filter-patterns.ts';

const REDIS = process.env.TEST_REDIS_URL;
const SET =
  'mutation($p: [String!]!, $a: ContentFilterAction!) { setContentFilter(patterns: $p, action: $a) { patterns action updatedBy { id } } }';
const GET = '{ contentFilter { patterns action } }';
const FLAGGED =
  '{ moderationReports(status: OPEN, first: 50) { edges { node { automatic reason note content snapshot { field } targetUser { id } } } } }';

type Outcome = { value: string } | { error: { code: unknown; field: unknown } };

/** One write of `text` to a filtered field, by a user of the team: the stored text, or the error. */
type Write = (s: TestServer, t: Team, text: string) => Promise<Outcome>;

const outcome = async (r: { data?: unknown; errors?: readonly { extensions?: Record<string, unknown> }[] }, read: (d: never) => string) =>
  r.errors?.length
    ? { error: { code: r.errors[0].extensions?.code, field: r.errors[0].extensions?.field } }
    : { value: read(r.data as never) };

const WRITES: Record<string, [field: string, write: Write]> = {
  sendMessage: [
    'content',
    async (s, t, text) => {
      const c = await group(s, [t.users[0], t.users[1]]);
      const r = await as(
        s,
        t.users[0],
        'mutation($c: ID!, $t: String!) { sendMessage(input: { conversationId: $c, content: $t }) { content } }',
        { c, t: text },
      );
      return outcome(r, (d: { sendMessage: { content: string } }) => d.sendMessage.content);
    },
  ],
  editMessage: [
    'content',
    async (s, t, text) => {
      const m = await send(s, t.users[0], await group(s, [t.users[0], t.users[1]]), 'clean words');
      const r = await as(s, t.users[0], 'mutation($id: ID!, $t: String!) { editMessage(id: $id, content: $t) { content } }', {
        id: m.id,
        t: text,
      });
      return outcome(r, (d: { editMessage: { content: string } }) => d.editMessage.content);
    },
  ],
  signUp: [
    'name',
    async (s, t, text) => {
      const input = {
        email: `f${Date.now()}${Math.random().toString(36).slice(2)}@example.com`,
        password: 'correct horse battery',
        name: text,
      };
      const r = await s.gql('mutation($i: SignUpInput!) { signUp(input: $i) { user { name } } }', { i: input }, { clientId: t.tenant });
      return outcome(r, (d: { signUp: { user: { name: string } } }) => d.signUp.user.name);
    },
  ],
  updateProfile: [
    'name',
    async (s, t, text) =>
      outcome(
        await as(s, t.users[1], 'mutation($n: String!) { updateProfile(input: { name: $n }) { name } }', { n: text }),
        (d: { updateProfile: { name: string } }) => d.updateProfile.name,
      ),
  ],
  createGroupConversation: [
    'title',
    async (s, t, text) =>
      outcome(
        await as(s, t.users[0], 'mutation($t: String!, $m: [ID!]!) { createGroupConversation(title: $t, memberIds: $m) { title } }', {
          t: text,
          m: [t.users[1].id],
        }),
        (d: { createGroupConversation: { title: string } }) => d.createGroupConversation.title,
      ),
  ],
  renameConversation: [
    'title',
    async (s, t, text) => {
      const c = await group(s, [t.users[0], t.users[1]]);
      const r = await as(s, t.users[0], 'mutation($c: ID!, $t: String!) { renameConversation(conversationId: $c, title: $t) { title } }', {
        c,
        t: text,
      });
      return outcome(r, (d: { renameConversation: { title: string } }) => d.renameConversation.title);
    },
  ],
  setStatus: [
    'text',
    async (s, t, text) =>
      outcome(
        await as(s, t.users[1], 'mutation($t: String) { setStatus(status: AWAY, text: $t) { statusText } }', { t: text }),
        (d: { setStatus: { statusText: string } }) => d.setStatus.statusText,
      ),
  ],
};

const setFilter = (s: TestServer, admin: TestUser, patterns: string[], action: string) => ok(s, admin, SET, { p: patterns, a: action });

describe('content filters', () => {
  const server = useServer({ PRESENCE_STATUS_RATE_LIMIT: 'off' });

  for (const action of ['REJECT', 'MASK', 'FLAG'] as const)
    it(`${action} applies to every filtered text`, async () => {
      const s = server();
      const t = await team(s);
      await setFilter(s, t.admin, ['darn', '/fr[e3]+ck/'], action);
      for (const [name, [field, write]] of Object.entries(WRITES)) {
        const got = await write(s, t, 'Oh Darn it, FR33CK');
        const expected: Outcome =
          action === 'REJECT'
            ? { error: { code: 'CONTENT_BLOCKED', field } }
            : { value: action === 'MASK' ? 'Oh **** it, ******' : 'Oh Darn it, FR33CK' };
        expect({ name, got }).toEqual({ name, got: expected });
        // Text the filter does not match passes unchanged.
        expect({ name, got: await write(s, t, 'All fine here') }).toEqual({ name, got: { value: 'All fine here' } });
      }
      if (action !== 'FLAG') return;
      const flagged = await ok<{ moderationReports: { edges: { node: Record<string, unknown> }[] } }>(s, t.moderator, FLAGGED);
      const nodes = flagged.moderationReports.edges.map((e) => e.node);
      expect(nodes).toHaveLength(Object.keys(WRITES).length);
      expect(nodes.map((n) => (n.snapshot as { field: string }).field).sort()).toEqual(
        Object.values(WRITES)
          .map(([f]) => f)
          .sort(),
      );
      for (const n of nodes)
        expect(n).toMatchObject({
          automatic: true,
          reason: 'OTHER',
          content: 'Oh Darn it, FR33CK',
          note: expect.stringMatching(/matched darn/),
        });
      expect(nodes.find((n) => (n.snapshot as { field: string }).field === 'text')?.targetUser).toEqual({ id: t.users[1].id });
    });

  it('lets a moderator delete a message the filter flagged as it was sent', async () => {
    const s = server();
    const t = await team(s);
    await setFilter(s, t.admin, ['darn'], 'FLAG');
    const c = await group(s, [t.users[0], t.users[1]]);
    const flagged = await send(s, t.users[0], c, 'darn it all');
    const queue = await ok<{ moderationReports: { edges: { node: { id: string } }[] } }>(
      s,
      t.moderator,
      '{ moderationReports(status: OPEN, first: 5) { edges { node { id } } } }',
    );
    const [report] = queue.moderationReports.edges.map((e) => e.node.id);
    const resolved = await ok<{ resolveReport: { messageId: string; action: string } }>(
      s,
      t.moderator,
      'mutation($id: ID!) { resolveReport(reportId: $id, action: DELETE_MESSAGE) { messageId action } }',
      { id: report },
    );
    expect(resolved.resolveReport).toEqual({ messageId: flagged.id, action: 'DELETE_MESSAGE' });
    const left = await ok<{ conversation: { messages: { edges: { node: { id: string; deletedAt: string | null } }[] } } }>(
      s,
      t.users[1],
      'query($c: ID!) { conversation(id: $c) { messages(last: 5) { edges { node { id deletedAt } } } } }',
      { c },
    );
    expect(left.conversation.messages.edges.find((e) => e.node.id === flagged.id)?.node.deletedAt).toEqual(expect.any(String));
  });

  it('matches words whole and in any case, and leaves other tenants alone', async () => {
    const s = server();
    const t = await team(s);
    const other = await team(s);
    await setFilter(s, t.admin, ['darn', 'bad word'], 'MASK');
    const c = await group(s, [t.users[0], t.users[1]]);
    expect((await send(s, t.users[0], c, 'darned undarn DARN! "Bad Word" bad wordy')).content).toBe(
      'darned undarn ****! "********" bad wordy',
    );
    expect((await send(s, other.users[0], await group(s, other.users), 'darn')).content).toBe('darn');
    // Hidden characters and fullwidth letters do not get a word past it; the masked text is stored without them.
    expect((await send(s, t.users[0], c, 'da\u200brn and \uff24\uff21\uff32\uff2e')).content).toBe('**** and ****');
  });

  it('refuses unsafe, invalid and too many patterns, and keeps the filter to admins', async () => {
    const s = server();
    const t = await team(s);
    for (const p of ['/(a+)+$/', '/(a|aa)*b/', '/(x+x+)+y/', '/(a)\\1/', '/(?=a)b/', '/(?<n>a)/', '/a*b*c*/', '/x{1,1000}y{1,1000}/']) {
      const r = await as(s, t.admin, SET, { p: [p], a: 'REJECT' });
      expect({ p, got: [code(r), reason(r)] }).toEqual({ p, got: ['BAD_USER_INPUT', 'UNSAFE_PATTERN'] });
    }
    for (const p of ['/[a/', '', 'x'.repeat(101), 'tab\there'])
      expect({ p, got: reason(await as(s, t.admin, SET, { p: [p], a: 'REJECT' })) }).toEqual({ p, got: 'INVALID_PATTERN' });
    const many = Array.from({ length: 501 }, (_, i) => `w${i}`);
    expect(reason(await as(s, t.admin, SET, { p: many, a: 'MASK' }))).toBe('TOO_MANY_PATTERNS');
    const regexes = Array.from({ length: 21 }, (_, i) => `/r${i}x/`);
    expect(reason(await as(s, t.admin, SET, { p: regexes, a: 'MASK' }))).toBe('TOO_MANY_PATTERNS');

    expect(code(await as(s, t.moderator, SET, { p: ['x'], a: 'MASK' }))).toBe('FORBIDDEN');
    expect(code(await as(s, t.users[0], SET, { p: ['x'], a: 'MASK' }))).toBe('FORBIDDEN');
    expect(code(await as(s, t.users[0], GET))).toBe('FORBIDDEN');
    expect((await ok<{ contentFilter: null }>(s, t.moderator, GET)).contentFilter).toBeNull();
    const saved = await setFilter(s, t.admin, [' darn ', 'DARN', '/colou?r/', '/(ab){2}c/'], 'MASK');
    expect(saved).toEqual({
      setContentFilter: { patterns: ['darn', '/colou?r/', '/(ab){2}c/'], action: 'MASK', updatedBy: { id: t.admin.id } },
    });
    expect((await ok<{ contentFilter: unknown }>(s, t.moderator, GET)).contentFilter).toEqual({
      patterns: ['darn', '/colou?r/', '/(ab){2}c/'],
      action: 'MASK',
    });
    const log = await ok<{ moderationLog: { edges: { node: { action: string } }[] } }>(
      s,
      t.moderator,
      '{ moderationLog(first: 1) { edges { node { action } } } }',
    );
    expect(log.moderationLog.edges[0].node.action).toBe('SET_CONTENT_FILTER');
    // An empty list turns the filter off.
    await setFilter(s, t.admin, [], 'MASK');
    expect((await send(s, t.users[0], await group(s, [t.users[0], t.users[1]]), 'darn')).content).toBe('darn');
  });

  it('runs the worst patterns it accepts over the longest message quickly', () => {
    const patterns = checkPatterns(['/a+b/', '/\\w{0,9}\\d{0,9}x/', '/(ab)+c/', '/[a-z]*!/', 'a a a a a']);
    const filter = compile(patterns);
    const text = 'a'.repeat(4000);
    const started = performance.now();
    expect(firstMatch(filter, text)).toBeNull();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe.skipIf(!REDIS)(titled('content filters across instances', { TEST_REDIS_URL: REDIS }), () => {
  const pair = useTwoInstances();

  it('a filter saved on A applies on B at once, though B had cached the tenant without one', async () => {
    const { a, b } = pair();
    const changes = b.services().pubsub.subscribe('filters:changed');
    await b.services().pubsub.ready?.('filters:changed');
    const t = await team(a);
    const c = await group(a, [t.users[0], t.users[1]]);
    expect((await send(b, t.users[0], c, 'darn')).content).toBe('darn'); // B knows the tenant has no filter
    await setFilter(a, t.admin, ['darn'], 'MASK');
    // B's filters heard the change before this listener, which subscribed after them.
    expect((await changes.next()).value).toEqual({ tenantId: t.tenant });
    await changes.return?.();
    const content = (await send(b, t.users[0], c, 'darn')).content;
    expect(content).toBe('****');
  });
});
