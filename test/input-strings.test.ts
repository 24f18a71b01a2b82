// Hostile text in inputs: NUL characters in any string (GraphQL arguments, input objects, lists, variables and the
// REST auth routes), bidi controls and invisible-only text in names, status texts and titles, search queries
// PostgreSQL cannot parse, and search snippets that must stay inert HTML. Each is a clear BAD_USER_INPUT naming the
// field (never an INTERNAL_SERVER_ERROR, never an error-level log line).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { fieldWithNul } from '../src/text-rules.ts';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';

type Result = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const NUL = 'a\u0000b';
const RLO = 'evil\u202Etxt.exe';

describe('hostile input strings', () => {
  const logged: string[] = [];
  let s: TestServer;
  let me: TestUser;
  let other: TestUser;
  let group: string;
  let chatSession: string;

  beforeAll(async () => {
    s = await startServer({}, { logger: createLogger('error', {}, (line) => logged.push(line)) });
    [me, other] = [await s.user(), await s.user()];
    group = (
      (await s.ok(
        'mutation($m: [ID!]!) { createGroupConversation(title: "Team", memberIds: $m) { id } }',
        { m: [other.id] },
        { token: me.token },
      )) as {
        createGroupConversation: { id: string };
      }
    ).createGroupConversation.id;
    chatSession = (
      (await s.ok('mutation { createChatSession(title: "Notes") { id } }', {}, { token: me.token })) as {
        createChatSession: { id: string };
      }
    ).createChatSession.id;
  });

  afterAll(async () => {
    await s?.stop();
  });

  const expectRefused = (r: Result, field: string, label: string) => {
    expect(r.errors?.[0]?.extensions, `${label}: ${JSON.stringify(r.errors ?? r.data)}`).toMatchObject({ code: 'BAD_USER_INPUT', field });
  };

  /** Every input the attack review found answering NUL with INTERNAL_SERVER_ERROR, and a few more of each shape. */
  const nulCases = (): [string, string, Record<string, unknown>, string, string | null][] => [
    [
      'sign-up name',
      'mutation($i: SignUpInput!) { signUp(input: $i) { token } }',
      { i: { email: 'nul-name@example.com', password: 'password123', name: NUL } },
      'name',
      null,
    ],
    [
      'sign-up email',
      'mutation($i: SignUpInput!) { signUp(input: $i) { token } }',
      { i: { email: `nul${NUL}@example.com`, password: 'password123', name: 'N' } },
      'email',
      null,
    ],
    [
      'sign-in email',
      'mutation($i: SignInInput!) { signIn(input: $i) { token } }',
      { i: { email: `x${NUL}@example.com`, password: 'password123' } },
      'email',
      null,
    ],
    ['password reset email', 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: `x${NUL}@example.com` }, 'email', null],
    ['profile name', 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }', { i: { name: NUL } }, 'name', me.token],
    ['status text', 'mutation($t: String) { setStatus(status: AWAY, text: $t) { status } }', { t: NUL }, 'text', me.token],
    [
      'group title',
      'mutation($m: [ID!]!, $t: String!) { createGroupConversation(title: $t, memberIds: $m) { id } }',
      { m: [other.id], t: NUL },
      'title',
      me.token,
    ],
    [
      'rename title',
      'mutation($c: ID!, $t: String!) { renameConversation(conversationId: $c, title: $t) { id } }',
      { c: group, t: NUL },
      'title',
      me.token,
    ],
    ['chat session title', 'mutation($t: String) { createChatSession(title: $t) { id } }', { t: NUL }, 'title', me.token],
    [
      'chat session rename',
      'mutation($id: ID!, $t: String) { updateChatSession(id: $id, title: $t) { id } }',
      { id: chatSession, t: NUL },
      'title',
      me.token,
    ],
    ['search query', 'query($q: String!) { searchMessages(query: $q) { edges { cursor } } }', { q: NUL }, 'query', me.token],
    [
      'message content',
      'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
      { i: { conversationId: group, content: NUL } },
      'content',
      me.token,
    ],
    [
      'an id in a list',
      'mutation($ids: [ID!]!) { markMessagesRead(messageIds: $ids) { id } }',
      { ids: ['ok', NUL] },
      'messageIds',
      me.token,
    ],
    ['users search', 'query($q: String) { users(search: $q) { edges { cursor } } }', { q: NUL }, 'search', me.token],
    ['a literal', 'mutation { setStatus(status: AWAY, text: "a\\u0000b") { status } }', {}, 'text', me.token],
    ['a literal in an input object', 'mutation { updateProfile(input: { name: "a\\u0000b" }) { id } }', {}, 'name', me.token],
    ['a variable default', 'mutation($t: String = "a\\u0000b") { setStatus(status: AWAY, text: $t) { status } }', {}, 'text', me.token],
  ];

  it('refuses NUL in every string input over HTTP with BAD_USER_INPUT naming the field, before anything runs', async () => {
    for (const [label, query, variables, field, token] of nulCases()) {
      const before = s.db.queryCount();
      const r = (await s.gql(query, variables, { token })) as Result;
      expectRefused(r, field, label);
      expect(r.data, label).toBeUndefined();
      expect(s.db.queryCount() - before, label).toBe(0);
    }
  });

  it('looks for NUL in JSON-like values only, not in the bytes of an uploaded file among the variables', () => {
    const file = new File([new Uint8Array(1024)], 'zeros.bin');
    const bytes = new Uint8Array([0, 0, 0]);
    expect(fieldWithNul({ input: { file, bytes, list: [{ name: 'ok' }] } }, 'variables')).toBeNull();
    expect(fieldWithNul({ input: { file, list: [{ name: 'a\u0000b' }] } }, 'variables')).toBe('name');
    expect(fieldWithNul(Object.assign(Object.create(null), { title: '\u0000' }), 'variables')).toBe('title');
    // Unpaired surrogates have no UTF-8 form: refused like NUL; a pair (an emoji) is fine.
    expect(fieldWithNul({ id: 'a\ud800' }, 'variables')).toBe('id');
    expect(fieldWithNul({ id: '\udc00b' }, 'variables')).toBe('id');
    expect(fieldWithNul({ id: 'ok 😀' }, 'variables')).toBeNull();
  });

  it('refuses an unpaired surrogate in an id over HTTP with BAD_USER_INPUT, before any statement', async () => {
    const body = JSON.stringify({ query: 'query($id: ID!) { conversation(id: $id) { id } }', variables: { id: '\ud800x' } });
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${me.token}` },
      body,
    });
    const answer = (await res.json()) as { errors: { extensions: { code: string; field: string } }[] };
    expect(answer.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('refuses NUL over WebSocket, in a subscription too', async () => {
    const client = s.ws({ token: me.token });
    const chat = subscribe(client, 'subscription($i: ChatInput!) { chat(input: $i) { __typename } }', {
      i: { message: 'hello', title: NUL },
    });
    const errors = (await chat.ended()) as Result['errors'];
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'title' });
    // In a list of ids (the chat's files), named by its input field.
    const files = subscribe(client, 'subscription($i: ChatInput!) { chat(input: $i) { __typename } }', {
      i: { message: 'hello', attachmentIds: [`a${NUL}`] },
    });
    expect(((await files.ended()) as Result['errors'])?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'attachmentIds' });
    const status = subscribe(client, 'mutation($t: String) { setStatus(status: AWAY, text: $t) { status } }', { t: NUL });
    expect(((await status.ended()) as Result['errors'])?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
  });

  it('refuses NUL in the REST auth routes: sign-up name and email, sign-in email', async () => {
    const rest = (path: string, body: unknown) =>
      fetch(`${s.url}/api/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [path, body, field] of [
      ['/sign-up/email', { name: NUL, email: 'rest-nul@example.com', password: 'password123' }, 'name'],
      ['/sign-up/email', { name: 'N', email: `rest${NUL}@example.com`, password: 'password123' }, 'email'],
      ['/sign-in/email', { email: `rest${NUL}@example.com`, password: 'password123' }, 'email'],
    ] as const) {
      const res = await rest(path, body);
      const answer = (await res.json()) as { code?: string; message?: string };
      expect(res.status, `${path} ${field}: ${JSON.stringify(answer)}`).toBe(400);
      expect(answer.message).toContain(`[body.${field}]`);
    }
  });

  it('refuses bidi controls, control characters and invisible-only text in names, status texts and titles', async () => {
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['name with U+202E', 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }', { i: { name: RLO } }, 'name'],
      ['name with U+2066', 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }', { i: { name: 'a\u2066b' } }, 'name'],
      [
        'zero-width name',
        'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }',
        { i: { name: '\u200B\u200D\uFEFF' } },
        'name',
      ],
      ['name with a bell', 'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { id } }', { i: { name: 'ding\u0007' } }, 'name'],
      ['status text with U+202D', 'mutation($t: String) { setStatus(status: BUSY, text: $t) { status } }', { t: 'a\u202Db' }, 'text'],
      ['Hangul filler status', 'mutation($t: String) { setStatus(status: BUSY, text: $t) { status } }', { t: '\u3164\u3164' }, 'text'],
      [
        'group title with U+202B',
        'mutation($c: ID!, $t: String!) { renameConversation(conversationId: $c, title: $t) { id } }',
        { c: group, t: 'x\u202By' },
        'title',
      ],
      [
        'group title with a newline',
        'mutation($c: ID!, $t: String!) { renameConversation(conversationId: $c, title: $t) { id } }',
        { c: group, t: 'two\nlines' },
        'title',
      ],
      ['chat title with U+2069', 'mutation($t: String) { createChatSession(title: $t) { id } }', { t: 'x\u2069' }, 'title'],
      [
        'invisible chat title',
        'mutation($id: ID!, $t: String) { updateChatSession(id: $id, title: $t) { id } }',
        { id: chatSession, t: '\u2800\u200B' },
        'title',
      ],
      [
        'invisible message',
        'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
        { i: { conversationId: group, content: '\u200B \u200B' } },
        'content',
      ],
    ];
    for (const [label, query, variables, field] of cases)
      expectRefused((await s.gql(query, variables, { token: me.token })) as Result, field, label);
    const signUp = await s.gql('mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
      i: { email: 'rlo@example.com', password: 'password123', name: RLO },
    });
    expectRefused(signUp as Result, 'name', 'sign-up name with U+202E');

    // What people really write still passes: accents, scripts, emoji, right-to-left text without controls.
    const fine = await s.ok(
      'mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { name } }',
      { i: { name: '  Zoë 李 🦜 שלום ' } },
      { token: me.token },
    );
    expect(fine).toEqual({ updateProfile: { name: 'Zoë 李 🦜 שלום' } });
    const status = await s.ok(
      'mutation($t: String) { setStatus(status: BUSY, text: $t) { statusText } }',
      { t: '   ' },
      { token: me.token },
    );
    expect(status).toEqual({ setStatus: { statusText: null } }); // blank clears, as before
  });

  it('answers search queries PostgreSQL cannot turn into a tsquery with BAD_USER_INPUT, and still runs the odd ones it can', async () => {
    const search = (q: string) =>
      s.gql(
        'query($q: String!) { searchMessages(query: $q) { edges { node { message { content } } } } }',
        { q },
        { token: me.token },
      ) as Promise<Result>;
    await s.ok(
      'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
      { i: { conversationId: group, content: 'lunch at noon' } },
      { token: me.token },
    );
    expectRefused(await search('-'.repeat(200)), 'query', '200 x "-"');
    expectRefused(await search('!?*'), 'query', 'no word at all');
    // Long chains of negations in front of a word (each one alone was "tsquery stack too small"): one negation each.
    for (const q of ['-'.repeat(150) + 'pizza', '- '.repeat(60) + 'pizza', '-!-(-|-&-<'.repeat(15) + 'pizza', '-\t'.repeat(60) + 'pizza']) {
      const r = await search(q);
      expect(r.errors, q.slice(0, 20)).toBeUndefined();
    }
    const both = await search(`lunch ${'-'.repeat(80)}pizza`);
    expect(both.errors).toBeUndefined();
    expect(both.data).toEqual({ searchMessages: { edges: [{ node: { message: { content: 'lunch at noon' } } }] } });
  });

  it('escapes every HTML-significant character in search snippets', async () => {
    const content = `findme 'findme' "findme" <findme> & findme`;
    await s.ok(
      'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
      { i: { conversationId: group, content } },
      { token: me.token },
    );
    const r = (await s.ok('query { searchMessages(query: "findme") { edges { node { snippet } } } }', {}, { token: me.token })) as {
      searchMessages: { edges: { node: { snippet: string } }[] };
    };
    const [snippet] = r.searchMessages.edges.map((e) => e.node.snippet);
    expect(snippet).toBe(
      '<mark>findme</mark> &#39;<mark>findme</mark>&#39; &quot;<mark>findme</mark>&quot; &lt;<mark>findme</mark>&gt; &amp; <mark>findme</mark>',
    );
    expect(snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>"']/);
  });

  it('logged no error for any of it', () => {
    expect(logged).toEqual([]);
  });
});
