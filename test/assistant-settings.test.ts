// A session's own system prompt (createChatSession / updateChatSession systemPrompt, sent to the model first) and the
// budgets a tenant's admins set (setChatBudgets, chatBudgets): enforced before the provider is called, per tenant,
// admins only, back to the server's default with null.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { register, rest, scriptedModel } from './helpers/chat.ts';

const CHAT =
  'subscription($input: ChatInput!) { chat(input: $input) { __typename ... on ChatStarted { session { id } } ... on ChatCompleted { answer { status } } } }';
const CREATE = 'mutation($p: String, $m: String) { createChatSession(systemPrompt: $p, model: $m) { id systemPrompt } }';
const UPDATE = 'mutation($id: ID!, $p: String) { updateChatSession(id: $id, systemPrompt: $p) { id systemPrompt } }';
const SET =
  'mutation($d: Int, $m: Int) { setChatBudgets(userDailyTokens: $d, tenantMonthlyTokens: $m) { userDailyTokens tenantMonthlyTokens userDailyTokensSet tenantMonthlyTokensSet } }';
const BUDGETS =
  '{ chatBudgets { userDailyTokens tenantMonthlyTokens userDailyTokensSet usedThisMonth users(first: 5) { user { id } tokensToday tokensThisMonth } } }';
const USAGE = '{ chatUsage { dailyLimit monthlyLimit } }';

type Vars = Record<string, unknown>;
const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
const startChat = (s: TestServer, input: Vars, token: string, clientId?: string) =>
  subscribe(s.ws({ token, clientId }), CHAT, { input }) as Subscription<unknown>;
/** The system text the model was sent on its `call`th stream. */
const systemSent = (model: ReturnType<typeof scriptedModel>, call: number) =>
  model.doStreamCalls[call].prompt.find((m) => m.role === 'system')?.content;

describe('session system prompts', () => {
  const server = useServer();

  it('send the session its own instructions first, until set back to the server default', async () => {
    const s = server();
    const u = await s.user();
    const model = scriptedModel(['Arr']);
    const id = register(s, model);
    const created = await s.ok<{ createChatSession: { id: string; systemPrompt: string } }, Vars>(
      CREATE,
      { p: '  Answer like a pirate.\nKeep it short.  ', m: id },
      { token: u.token },
    );
    expect(created.createChatSession.systemPrompt).toBe('Answer like a pirate.\nKeep it short.');
    const sessionId = created.createChatSession.id;
    await rest(startChat(s, { message: 'hello', sessionId }, u.token));
    expect(systemSent(model, 0)).toBe('Answer like a pirate.\nKeep it short.');

    expect(await s.ok(UPDATE, { id: sessionId, p: '' }, { token: u.token })).toEqual({
      updateChatSession: { id: sessionId, systemPrompt: null },
    });
    await rest(startChat(s, { message: 'again', sessionId }, u.token));
    expect(systemSent(model, 1)).toBe(s.config.CHAT_SYSTEM_PROMPT);

    const tooLong = await s.gql(UPDATE, { id: sessionId, p: 'x'.repeat(4001) }, { token: u.token });
    expect([code(tooLong), tooLong.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'systemPrompt']);
    const control = await s.gql(CREATE, { p: 'bad \u0007 bell' }, { token: u.token });
    expect(code(control)).toBe('BAD_USER_INPUT');
    const someoneElse = await s.user();
    expect(code(await s.gql(UPDATE, { id: sessionId, p: 'mine now' }, { token: someoneElse.token }))).toBe('NOT_FOUND');
  });
});

describe('budgets set by admins', () => {
  const server = useServer();

  it("hold the tenant's users to its own budgets, for its admins alone to set, and go back to the default with null", async () => {
    const s = server();
    const clientId = `budgets-${Date.now()}`;
    await s.services().tenants.add(clientId);
    const admin = await s.user({ clientId }); // the tenant's first user: its ADMIN
    const member = await s.user({ clientId });
    const elsewhere = await s.user(); // another tenant
    const model = scriptedModel(['ok'], { input: 10, output: 20 });
    const id = register(s, model);
    const as = (u: { token: string }) => ({ token: u.token, clientId });

    expect(code(await s.gql(SET, { d: 50 }, as(member)))).toBe('FORBIDDEN');
    expect(code(await s.gql(BUDGETS, {}, as(member)))).toBe('FORBIDDEN');
    expect(code(await s.gql(SET, { d: -1 }, as(admin)))).toBe('BAD_USER_INPUT');
    expect(await s.ok(SET, { d: 50 }, as(admin))).toEqual({
      setChatBudgets: { userDailyTokens: 50, tenantMonthlyTokens: null, userDailyTokensSet: true, tenantMonthlyTokensSet: false },
    });

    for (let i = 0; i < 2; i++) {
      const events = (await rest(startChat(s, { message: `q${i}`, model: id }, member.token, clientId))) as { __typename: string }[];
      expect(events.at(-1)!.__typename).toBe('ChatCompleted');
    }
    const refused = await startChat(s, { message: 'q2', model: id }, member.token, clientId).next();
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', budget: 'USER_DAILY', limit: 50 });
    expect(model.doStreamCalls).toHaveLength(2);
    // Another tenant keeps the server's default (unlimited here).
    expect(await s.ok(USAGE, {}, { token: elsewhere.token })).toEqual({ chatUsage: { dailyLimit: null, monthlyLimit: null } });

    const budgets = await s.ok<
      { chatBudgets: { usedThisMonth: number; users: { user: { id: string }; tokensThisMonth: number }[] } },
      Vars
    >(BUDGETS, {}, as(admin));
    expect(budgets.chatBudgets.usedThisMonth).toBe(60);
    expect(budgets.chatBudgets.users).toEqual([{ user: { id: member.id }, tokensToday: 60, tokensThisMonth: 60 }]);

    // A monthly budget the tenant has spent refuses everyone; null puts the daily one back to the default.
    await s.ok(SET, { m: 60, d: null }, as(admin));
    const monthly = await startChat(s, { message: 'q3', model: id }, admin.token, clientId).next();
    expect(monthly.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', budget: 'TENANT_MONTHLY', limit: 60 });
    expect(await s.ok(SET, { m: 0 }, as(admin))).toMatchObject({ setChatBudgets: { userDailyTokens: null, tenantMonthlyTokens: null } });
    const again = (await rest(startChat(s, { message: 'q4', model: id }, member.token, clientId))) as { __typename: string }[];
    expect(again.at(-1)!.__typename).toBe('ChatCompleted');
  });
});

describe('presets', () => {
  const server = useServer();
  const PRESET =
    'mutation($n: String!, $m: String!, $p: String, $t: [String!]) { createChatPreset(name: $n, model: $m, systemPrompt: $p, tools: $t) { id name model systemPrompt tools } }';
  const PRESETS = '{ chatPresets { id name } }';
  const SESSION = 'query($id: ID!) { chatSession(id: $id) { model systemPrompt } }';

  it("answer with a preset's model and instructions, kept by the new session; admins make them, the tenant uses them", async () => {
    const s = server();
    const clientId = `presets-${Date.now()}`;
    await s.services().tenants.add(clientId);
    const admin = await s.user({ clientId });
    const member = await s.user({ clientId });
    const stranger = await s.user(); // another tenant
    const as = (u: { token: string }) => ({ token: u.token, clientId });
    const model = scriptedModel(['Arr']);
    const id = register(s, model);
    const vars = { n: 'Pirate', m: id, p: 'Talk like a pirate.', t: ['current_time', 'current_time'] };

    expect(code(await s.gql(PRESET, vars, as(member)))).toBe('FORBIDDEN');
    const made = await s.ok<{ createChatPreset: { id: string; tools: string[] } }, Vars>(PRESET, vars, as(admin));
    expect(made.createChatPreset).toMatchObject({
      name: 'Pirate',
      model: id,
      systemPrompt: 'Talk like a pirate.',
      tools: ['current_time'],
    });
    const presetId = made.createChatPreset.id;
    expect(code(await s.gql(PRESET, vars, as(admin)))).toBe('CONFLICT');
    const badModel = await s.gql(PRESET, { ...vars, n: 'Other', m: 'no-such-model' }, as(admin));
    expect([code(badModel), badModel.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'model']);
    const badTool = await s.gql(PRESET, { ...vars, n: 'Other', t: ['rm_rf'] }, as(admin));
    expect([code(badTool), badTool.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'tools']);
    expect(await s.ok(PRESETS, {}, as(member))).toEqual({ chatPresets: [{ id: presetId, name: 'Pirate' }] });
    expect(await s.ok(PRESETS, {}, { token: stranger.token })).toEqual({ chatPresets: [] });

    const events = (await rest(startChat(s, { message: 'ahoy', presetId }, member.token, clientId))) as { session?: { id: string } }[];
    expect(systemSent(model, 0)).toBe('Talk like a pirate.');
    const sessionId = events[0].session!.id;
    expect(await s.ok(SESSION, { id: sessionId }, as(member))).toEqual({ chatSession: { model: id, systemPrompt: 'Talk like a pirate.' } });
    await rest(startChat(s, { message: 'and then?', sessionId }, member.token, clientId));
    expect(systemSent(model, 1)).toBe('Talk like a pirate.');

    const foreign = await startChat(s, { message: 'x', presetId }, stranger.token).next();
    expect(foreign.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'presetId' });
    const guest = await subscribe(s.ws({ clientId }), CHAT, { input: { message: 'x', presetId } }).next();
    expect(guest.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await s.ok('mutation($id: ID!) { deleteChatPreset(id: $id) }', { id: presetId }, as(admin))).toEqual({
      deleteChatPreset: presetId,
    });
    expect(await s.ok(PRESETS, {}, as(member))).toEqual({ chatPresets: [] });
  });
});
