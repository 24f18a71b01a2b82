// Branches of a chat session over a real server: every message has a parent, an edited question
// (parentMessageId) and a regenerated answer (regenerate) are siblings and nothing is overwritten, ChatSession.messages
// follows one branch (leafId) and so does the model's context; the refusals and their codes.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chatOnce, register, scriptedModel, type Event } from './helpers/chat.ts';

type Vars = Record<string, unknown>;
type Msg = { id: string; role: string; content: string; parentId: string | null };
const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
const field = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.field;

const BRANCH = `query($id: ID!, $leaf: ID) { chatSession(id: $id) { messages(last: 20, leafId: $leaf) {
  edges { node { id role content parentId siblings { id content } } } } } }`;

/** One turn: the question and answer as saved. */
async function turn(s: TestServer, u: TestUser, input: Vars) {
  const { events, errors } = await chatOnce(s, input, u);
  if (errors) throw new Error(JSON.stringify(errors));
  const started = events[0] as { session: { id: string }; userMessage: Msg };
  const done = events.at(-1) as Event & { answer: Msg };
  return { sessionId: started.session.id, question: started.userMessage, answer: done.answer };
}

async function branch(s: TestServer, u: TestUser, sessionId: string, leaf?: string) {
  const r = await s.ok<{ chatSession: { messages: { edges: { node: Msg & { siblings: Msg[] } }[] } } }, Vars>(
    BRANCH,
    { id: sessionId, leaf },
    { token: u.token },
  );
  return r.chatSession.messages.edges.map((e) => e.node);
}

/** The turns a model was sent on its `call`th stream, as [role, text]. */
const sent = (model: ReturnType<typeof scriptedModel>, call: number) =>
  model.doStreamCalls[call].prompt
    .filter((m) => m.role !== 'system')
    .map((m) => [m.role, (m.content as { text?: string }[]).map((p) => p.text ?? '').join('')]);

describe('chat branches', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1' });

  it('edits and regenerations are siblings; messages follows one branch; the model sees only its branch', async () => {
    const s = server();
    const u = await s.user();
    const one = await turn(s, u, { message: 'first question' });
    const sessionId = one.sessionId;
    expect(one.question.parentId).toBeNull();
    expect(one.answer.parentId).toBe(one.question.id);
    const two = await turn(s, u, { message: 'second question', sessionId });
    expect(two.question.parentId).toBe(one.answer.id);
    expect(two.answer.parentId).toBe(two.question.id);

    // Edit the second question: a sibling of it, after the first answer; the model does not see the old one.
    const model = scriptedModel(['Edited', ' answer.']);
    const edited = await turn(s, u, { message: 'second, edited', sessionId, parentMessageId: one.answer.id, model: register(s, model) });
    expect(edited.question.parentId).toBe(one.answer.id);
    expect(sent(model, 0)).toEqual([
      ['user', 'first question'],
      ['assistant', one.answer.content],
      ['user', 'second, edited'],
    ]);
    const newest = await branch(s, u, sessionId);
    expect(newest.map((m) => m.id)).toEqual([one.question.id, one.answer.id, edited.question.id, edited.answer.id]);
    expect(newest[2].siblings.map((m) => m.content)).toEqual(['second question', 'second, edited']);
    const old = await branch(s, u, sessionId, two.answer.id);
    expect(old.map((m) => m.id)).toEqual([one.question.id, one.answer.id, two.question.id, two.answer.id]);
    expect(old[3].content).toBe(two.answer.content); // nothing overwritten

    // Regenerate the edited answer: a new answer to the same question, no new question, the message text ignored.
    const questions = await s.db.prisma.chatMessage.count({ where: { sessionId, role: 'USER' } });
    const regenerated = await turn(s, u, { message: '', regenerate: edited.answer.id, model: register(s, model) });
    expect(regenerated.sessionId).toBe(sessionId);
    expect(regenerated.question.id).toBe(edited.question.id);
    expect(regenerated.answer.parentId).toBe(edited.question.id);
    expect(await s.db.prisma.chatMessage.count({ where: { sessionId, role: 'USER' } })).toBe(questions);
    expect(sent(model, 1)).toEqual(sent(model, 0));
    const now = await branch(s, u, sessionId);
    expect(now.at(-1)!.id).toBe(regenerated.answer.id);
    expect(now.at(-1)!.siblings.map((m) => m.id)).toEqual([edited.answer.id, regenerated.answer.id]);
    expect((await branch(s, u, sessionId, edited.answer.id)).at(-1)!.content).toBe('Edited answer.');

    // A question continues the newest branch by default: after the regenerated answer.
    const three = await turn(s, u, { message: 'third', sessionId });
    expect(three.question.parentId).toBe(regenerated.answer.id);
    // The first turn's siblings are the session's roots.
    expect(now[0].siblings.map((m) => m.id)).toEqual([one.question.id]);
  });

  it('refuses a parent or an answer outside the viewer’s session, and branches for guests', async () => {
    const s = server();
    const u = await s.user();
    const other = await s.user();
    const mine = await turn(s, u, { message: 'mine' });
    const elsewhere = await turn(s, u, { message: 'another session' });
    const theirs = await turn(s, other, { message: 'theirs' });
    const refused = async (input: Vars, user: TestUser | null = u) => {
      const r = await chatOnce(s, { message: 'x', ...input }, user);
      expect(r.errors).toBeDefined();
      return r;
    };
    const foreignParent = await refused({ sessionId: mine.sessionId, parentMessageId: elsewhere.answer.id });
    expect([code(foreignParent), field(foreignParent)]).toEqual(['NOT_FOUND', 'parentMessageId']);
    expect(code(await refused({ sessionId: mine.sessionId, parentMessageId: theirs.answer.id }))).toBe('NOT_FOUND');
    expect(code(await refused({ parentMessageId: mine.answer.id }))).toBe('NOT_FOUND'); // a new session has no messages
    expect(code(await refused({ sessionId: theirs.sessionId, parentMessageId: theirs.answer.id }))).toBe('NOT_FOUND');
    const question = await refused({ regenerate: mine.question.id });
    expect([code(question), field(question)]).toEqual(['NOT_FOUND', 'regenerate']);
    expect(code(await refused({ regenerate: theirs.answer.id }))).toBe('NOT_FOUND');
    expect(code(await refused({ regenerate: mine.answer.id, sessionId: elsewhere.sessionId }))).toBe('NOT_FOUND');
    expect(code(await refused({ regenerate: 'no-such-id' }))).toBe('NOT_FOUND');
    expect(code(await refused({ regenerate: mine.answer.id }, null))).toBe('UNAUTHENTICATED');
    expect(code(await refused({ parentMessageId: mine.answer.id }, null))).toBe('UNAUTHENTICATED');
    const leaf = await s.gql(BRANCH, { id: mine.sessionId, leaf: elsewhere.answer.id }, { token: u.token });
    expect([code(leaf), field(leaf)]).toEqual(['NOT_FOUND', 'leafId']);
    expect(code(await s.gql(BRANCH, { id: mine.sessionId, leaf: mine.answer.id }, { token: other.token }))).toBe('NOT_FOUND');
    // Nothing was written by the refusals.
    expect(await s.db.prisma.chatMessage.count({ where: { sessionId: mine.sessionId } })).toBe(2);
  });
});
