// The assistant's tools, over a real server and WebSocket: parley-echo's `/tool` and `/think`, a scripted AI SDK
// model driving the real step loop, what the tools let a user's answer read (their conversations only, in their
// tenant, from their joining on), errors the model reads as results, the step limit, parts stored and replayed.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { CHAT_STREAM_ALL, chatOnce, register, rest, scriptedModel, toolCallingModel, type Event } from './helpers/chat.ts';
import { createConversation } from './helpers/conversations.ts';

type Vars = Record<string, unknown>;
const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
const kinds = (events: Event[]) => events.map((e) => e.__typename);
const of = (events: Event[], type: string) => events.filter((e) => e.__typename === type);
const text = (events: Event[]) =>
  of(events, 'ChatToken')
    .map((e) => e.delta)
    .join('');
const answerOf = (events: Event[]) => events.at(-1)!.answer as { id: string; content: string; parts: Record<string, unknown>[] };

const SEND = 'mutation($c: ID!, $t: String!) { sendMessage(input: { conversationId: $c, content: $t }) { id } }';
const send = (s: TestServer, u: TestUser, conversationId: string, content: string) =>
  s.ok<{ sendMessage: { id: string } }, Vars>(SEND, { c: conversationId, t: content }, { token: u.token, clientId: u.clientId });

/** The one tool result of an answer asking `/tool <name> <input>` of parley-echo. */
async function toolResult(s: TestServer, user: TestUser | null, name: string, input: string) {
  const { events, errors } = await chatOnce(s, { message: `/tool ${name} ${input}` }, user);
  expect(errors).toBeUndefined();
  const results = of(events, 'ChatToolResult');
  expect(results).toHaveLength(1);
  return { output: results[0].output, isError: results[0].isError };
}

describe('tools with parley-echo', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1' });

  it('calls current_time: ChatToolCall, ChatToolResult, then the text; parts saved and replayed by chatStream', async () => {
    const s = server();
    const u = await s.user();
    const { events } = await chatOnce(s, { message: '/tool current_time {}' }, u);
    expect(kinds(events).filter((k) => k !== 'ChatToken')).toEqual(['ChatStarted', 'ChatToolCall', 'ChatToolResult', 'ChatCompleted']);
    expect(kinds(events).indexOf('ChatToken')).toBe(3);
    const [call] = of(events, 'ChatToolCall');
    const [result] = of(events, 'ChatToolResult');
    expect(call).toMatchObject({ index: 0, name: 'current_time', input: {}, toolCallId: 'echo-call-1' });
    expect(result).toMatchObject({ index: 1, toolCallId: 'echo-call-1', isError: false, output: { timeZone: 'UTC' } });
    const now = (result.output as { now: string }).now;
    expect(Math.abs(Date.parse(now) - Date.now())).toBeLessThan(60_000);
    expect(text(events)).toBe(`Tool current_time returned: ${JSON.stringify({ now, timeZone: 'UTC' })}`);

    const answer = answerOf(events);
    expect(answer.content).toBe(text(events));
    expect(answer.parts).toEqual([
      { type: 'TOOL_CALL', toolCallId: 'echo-call-1', toolName: 'current_time', input: {}, text: null, output: null, isError: null },
      {
        type: 'TOOL_RESULT',
        toolCallId: 'echo-call-1',
        toolName: 'current_time',
        output: { now, timeZone: 'UTC' },
        isError: false,
        text: null,
        input: null,
      },
      { type: 'TEXT', text: answer.content, toolCallId: null, toolName: null, input: null, output: null, isError: null },
    ]);
    const row = await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: answer.id } });
    expect(row.parts).toEqual([
      { type: 'tool-call', toolCallId: 'echo-call-1', toolName: 'current_time', input: {} },
      { type: 'tool-result', toolCallId: 'echo-call-1', toolName: 'current_time', output: { now, timeZone: 'UTC' }, isError: false },
      { type: 'text', text: answer.content },
    ]);

    // chatStream replays the same events from the start, and from an index on.
    const replay = await rest(subscribe(s.ws({ token: u.token }), CHAT_STREAM_ALL, { id: answer.id }) as Subscription<unknown>);
    expect(replay).toEqual(events.slice(1));
    const later = await rest(subscribe(s.ws({ token: u.token }), CHAT_STREAM_ALL, { id: answer.id, after: 0 }) as Subscription<unknown>);
    expect(kinds(later)[0]).toBe('ChatToolResult');
  });

  it('streams ChatReasoning first for /think, then the usual echo', async () => {
    const s = server();
    const u = await s.user();
    const { events } = await chatOnce(s, { message: '/think why is the sky blue' }, u);
    const first = kinds(events).slice(1, 5);
    expect(first).toEqual(['ChatReasoning', 'ChatReasoning', 'ChatReasoning', 'ChatReasoning']);
    expect(kinds(events)[5]).toBe('ChatToken');
    const reasoning = of(events, 'ChatReasoning')
      .map((e) => e.delta)
      .join('');
    expect(text(events)).toBe(
      'You said: "/think why is the sky blue". This is parley-echo, the built-in offline model; configure a provider for real answers.',
    );
    expect(answerOf(events).parts.map((p) => [p.type, p.text])).toEqual([
      ['REASONING', reasoning],
      ['TEXT', text(events)],
    ]);
    // A plain answer is one TEXT part, and stores none (its content says it).
    const plain = await chatOnce(s, { message: 'hello' }, u);
    expect(answerOf(plain.events).parts.map((p) => p.type)).toEqual(['TEXT']);
    expect((await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: answerOf(plain.events).id } })).parts).toEqual([]);
  });

  it('gives the model an error result for an unknown tool, input the tool refuses and input that is not JSON', async () => {
    const s = server();
    const u = await s.user();
    const unknown = await toolResult(s, u, 'no_such_tool', '{}');
    expect(unknown.isError).toBe(true);
    expect(unknown.output).toMatch(/^Unknown tool "no_such_tool"\. Available: current_time, search_messages, read_conversation/);
    const refused = await toolResult(s, u, 'search_messages', '{"query": 5}');
    expect(refused).toMatchObject({ isError: true, output: expect.stringMatching(/^Invalid input/) });
    const tooMany = await toolResult(s, u, 'read_conversation', '{"conversationId": "x", "limit": 1000}');
    expect(tooMany).toMatchObject({ isError: true, output: expect.stringMatching(/^Invalid input/) });
    const broken = await toolResult(s, u, 'current_time', '{oops');
    expect(broken).toEqual({ isError: true, output: 'The input is not valid JSON.' });
    // Each answer still completed, its text the result echoed.
    const { events } = await chatOnce(s, { message: '/tool no_such_tool {}' }, u);
    expect(events.at(-1)!.__typename).toBe('ChatCompleted');
  });

  it('gives a guest current_time and no tool that reads anything', async () => {
    const s = server();
    expect(await toolResult(s, null, 'current_time', '{}')).toMatchObject({ isError: false, output: { timeZone: 'UTC' } });
    const search = await toolResult(s, null, 'search_messages', '{"query": "secret"}');
    expect(search).toMatchObject({
      isError: true,
      output: expect.stringMatching(/^Unknown tool "search_messages"\. Available: current_time\.$/),
    });
    const guestTools = await s.ok<{ chatTools: { name: string; source: string }[] }, Vars>('{ chatTools { name source description } }');
    expect(guestTools.chatTools).toEqual([expect.objectContaining({ name: 'current_time', source: 'BUILT_IN' })]);
    const u = await s.user();
    const mine = await s.ok<{ chatTools: { name: string }[] }, Vars>('{ chatTools { name source inputSchema } }', {}, { token: u.token });
    expect(mine.chatTools.map((t) => t.name)).toEqual(['current_time', 'search_messages', 'read_conversation']);
  });
});

describe('what the message tools let an answer read', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1' });

  it('search_messages and read_conversation return only what the asking user may read', async () => {
    const s = server();
    const ada = await s.user();
    const bob = await s.user();
    const eve = await s.user(); // same tenant, not in Ada's conversation
    const clientId = `tools-${Date.now()}`;
    await s.services().tenants.add(clientId);
    const far = await s.user({ clientId }); // another tenant
    const farFriend = await s.user({ clientId });

    const ours = await createConversation(s, [ada, bob], 'ours');
    const theirs = await createConversation(s, [bob, eve], 'theirs');
    const elsewhere = await createConversation(s, [far, farFriend], 'elsewhere');
    const mine = await send(s, bob, ours, 'the pineapple plan is on');
    await send(s, eve, theirs, 'pineapple secret between bob and eve');
    await send(s, far, elsewhere, 'pineapple from another tenant');

    const found = await toolResult(s, ada, 'search_messages', '{"query": "pineapple"}');
    expect(found.isError).toBe(false);
    const results = (found.output as { results: { messageId: string; conversationId: string; text: string }[] }).results;
    expect(results).toEqual([
      expect.objectContaining({ messageId: mine.sendMessage.id, conversationId: ours, text: 'the pineapple plan is on' }),
    ]);
    // Naming someone else's conversation finds nothing of it.
    const named = await toolResult(s, ada, 'search_messages', JSON.stringify({ query: 'pineapple', conversationId: theirs }));
    expect(named).toEqual({ isError: true, output: 'Conversation not found.' });
    const otherTenant = await toolResult(s, ada, 'read_conversation', JSON.stringify({ conversationId: elsewhere }));
    expect(otherTenant).toEqual({ isError: true, output: 'Conversation not found.' });
    expect(await toolResult(s, ada, 'read_conversation', JSON.stringify({ conversationId: theirs }))).toMatchObject({ isError: true });

    const read = await toolResult(s, ada, 'read_conversation', JSON.stringify({ conversationId: ours }));
    const messages = (read.output as { messages: { messageId: string; text: string; sender: { name: string } }[] }).messages;
    expect(messages.map((m) => m.text)).toContain('the pineapple plan is on');
    expect(messages.find((m) => m.messageId === mine.sendMessage.id)!.sender.name).toBe(bob.name);
  });

  it('follows a group whose history shows from joining on: nothing from before the user came', async () => {
    const s = server();
    const owner = await s.user();
    const member = await createConversation(s, [owner, await s.user()], 'club');
    await send(s, owner, member, 'mango before you came');
    await s.ok(
      'mutation($c: ID!) { updateGroupSettings(conversationId: $c, historyVisibility: FROM_JOIN, visibility: PUBLIC) { id } }',
      { c: member },
      { token: owner.token },
    );
    const late = await s.user();
    await s.ok('mutation($id: ID!) { joinConversation(id: $id) { id } }', { id: member }, { token: late.token });
    await send(s, owner, member, 'mango after you came');

    const found = await toolResult(s, late, 'search_messages', '{"query": "mango"}');
    expect((found.output as { results: { text: string }[] }).results.map((r) => r.text)).toEqual(['mango after you came']);
    const read = await toolResult(s, late, 'read_conversation', JSON.stringify({ conversationId: member, beforeSequence: 1000 }));
    const texts = (read.output as { messages: { text: string }[] }).messages.map((m) => m.text);
    expect(texts).toContain('mango after you came');
    expect(texts).not.toContain('mango before you came');
  });
});

describe('the step loop with an AI SDK model', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1' });

  it("runs the model's tool calls, sends their results back and streams the answer", async () => {
    const s = server();
    const u = await s.user();
    const model = toolCallingModel([[{ name: 'current_time', input: {} }]], ['It', ' is', ' now.'], { reasoning: ['Let me check.'] });
    const { events } = await chatOnce(s, { message: 'what time is it?', model: register(s, model) }, u);
    expect(kinds(events)).toEqual([
      'ChatStarted',
      'ChatReasoning',
      'ChatToolCall',
      'ChatToolResult',
      'ChatReasoning',
      'ChatToken',
      'ChatToken',
      'ChatToken',
      'ChatCompleted',
    ]);
    expect(model.doStreamCalls).toHaveLength(2);
    const offered = model.doStreamCalls[0].tools!.map((t) => t.name);
    expect(offered).toEqual(['current_time', 'search_messages', 'read_conversation']);
    const second = model.doStreamCalls[1].prompt;
    expect(second.at(-2)).toMatchObject({ role: 'assistant', content: [{ type: 'tool-call', toolName: 'current_time', input: {} }] });
    expect(second.at(-1)).toMatchObject({
      role: 'tool',
      content: [{ type: 'tool-result', toolName: 'current_time', output: { type: 'json', value: { timeZone: 'UTC' } } }],
    });
    expect(answerOf(events).parts.map((p) => p.type)).toEqual(['REASONING', 'TOOL_CALL', 'TOOL_RESULT', 'REASONING', 'TEXT']);

    // The next turn sends the calls and results back to the model as it made them.
    const sessionId = (events[0].session as { id: string }).id;
    const next = scriptedModel(['Later.']);
    await chatOnce(s, { message: 'and now?', sessionId, model: register(s, next) }, u);
    const prompt = next.doStreamCalls[0].prompt.filter((m) => m.role !== 'system');
    expect(prompt.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
    expect(prompt[3]).toMatchObject({ role: 'assistant', content: [{ type: 'text', text: 'It is now.' }] });
  });

  it('stops calling the model at CHAT_MAX_STEPS: the last calls are answered with an error, the answer completes', async () => {
    const s = server();
    const u = await s.user();
    const always = Array.from({ length: 10 }, () => [{ name: 'current_time', input: {} }]);
    const model = toolCallingModel(always, ['never']);
    const { events } = await chatOnce(s, { message: 'loop', model: register(s, model) }, u);
    expect(model.doStreamCalls).toHaveLength(s.config.CHAT_MAX_STEPS);
    const results = of(events, 'ChatToolResult');
    expect(results).toHaveLength(5);
    expect(results.slice(0, 4).every((r) => r.isError === false)).toBe(true);
    expect(results[4]).toMatchObject({ isError: true, output: 'Not run: the answer reached its limit of 5 steps.' });
    expect(events.at(-1)!.__typename).toBe('ChatCompleted');
  });

  it("offers a preset's tools alone, and refuses a preset naming a tool that does not exist", async () => {
    const s = server();
    const clientId = `preset-tools-${Date.now()}`;
    await s.services().tenants.add(clientId);
    const admin = await s.user({ clientId });
    const model = toolCallingModel([], ['ok']);
    const id = register(s, model);
    const CREATE = 'mutation($n: String!, $m: String!, $t: [String!]) { createChatPreset(name: $n, model: $m, tools: $t) { id tools } }';
    const bad = await s.gql(CREATE, { n: 'bad', m: id, t: ['current_time', 'nope', 'x__y'] }, { token: admin.token, clientId });
    expect([code(bad), bad.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'tools']);
    expect(bad.errors![0].message).toMatch(/Unknown tools: nope, x__y/);
    const timeOnly = await s.ok<{ createChatPreset: { id: string } }, Vars>(
      CREATE,
      { n: 'clock', m: id, t: ['current_time'] },
      { token: admin.token, clientId },
    );
    await chatOnce(s, { message: 'hi', presetId: timeOnly.createChatPreset.id }, { token: admin.token, clientId });
    expect(model.doStreamCalls[0].tools!.map((t) => t.name)).toEqual(['current_time']);
    const none = await s.ok<{ createChatPreset: { id: string } }, Vars>(
      CREATE,
      { n: 'plain', m: id, t: [] },
      { token: admin.token, clientId },
    );
    await chatOnce(s, { message: 'hi', presetId: none.createChatPreset.id }, { token: admin.token, clientId });
    expect(model.doStreamCalls[1].tools).toBeUndefined();
    const listed = await s.ok<{ chatTools: { name: string }[] }, Vars>(
      'query($p: ID) { chatTools(presetId: $p) { name } }',
      { p: timeOnly.createChatPreset.id },
      { token: admin.token, clientId },
    );
    expect(listed.chatTools).toEqual([{ name: 'current_time' }]);
  });
});
