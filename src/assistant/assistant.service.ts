// AI chat: sessions owned by one user, streaming runs, stop, resume, guest mode and token budgets. The GraphQL
// schema calls this; runs.ts moves the tokens, generate.ts talks to the model.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PrismaClient, ChatSession, ChatMessage } from '../generated/prisma/client.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { Viewer } from '../accounts/accounts.service.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import { ModelRegistry } from './models.ts';
import { RunRegistry } from './runs.ts';
import { Budgets } from './budgets.ts';
import { ChatWrites } from './chat-writes.ts';
import { RedisReplay } from './replay.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import { generate } from './generate.ts';
import { buildContext, cleanTitle, deriveTitle, modelTitle } from './context.ts';
import { answerOf, guestMessage, lastOf, snapshotOf, terminalFromOutcome, terminalFromRow } from './snapshots.ts';
import type { ChatRunEvent, MessageSnapshot, RunOwner, TokenUsage } from './events.ts';
import type { Metrics } from '../observability/metrics.ts';

/** Who is chatting: a signed-in viewer, or a guest known only by tenant and IP. */
export interface ChatActor {
  tenantId: string;
  viewer: Viewer | null;
  ip: string | null;
}

export interface ChatInput {
  message: string;
  sessionId?: string | null;
  title?: string | null;
  model?: string | null;
}

export interface ChatStarted {
  /** Null for guests: nothing is saved. */
  session: ChatSession | null;
  userMessage: MessageSnapshot;
  assistantMessageId: string;
}


export class AssistantService {
  readonly models: ModelRegistry;
  readonly runs: RunRegistry;
  readonly budgets: Budgets;
  private readonly writes: ChatWrites;

  constructor(
    private readonly deps: {
      config: Config;
      prisma: PrismaClient;
      pubsub: ParleyPubSub;
      redis: Redis | null;
      logger: Logger;
      /** Shared limits (chatUser, chatGuestIp), in Redis when several instances run. */
      limiter: RateLimiter;
      metrics?: Metrics;
    },
  ) {
    const { config, redis } = deps;
    this.models = new ModelRegistry(config);
    this.runs = new RunRegistry({
      pubsub: deps.pubsub,
      replay: redis ? new RedisReplay(redis, config.REDIS_PREFIX, config.CHAT_REPLAY_TTL_SECONDS) : null,
      logger: deps.logger,
      retainMs: config.CHAT_REPLAY_TTL_SECONDS * 1000,
      idleMs: config.CHAT_CHUNK_TIMEOUT_MS + 5_000,
    });
    this.budgets = new Budgets(deps.prisma, config);
    this.writes = new ChatWrites(deps.prisma);
  }

  private get prisma() {
    return this.deps.prisma;
  }

  private get config() {
    return this.deps.config;
  }

  // ---- sessions -------------------------------------------------------------------------------------------------

  /** The viewer's own session, or NOT_FOUND (also for other users' sessions: their existence is not revealed). */
  async session(viewer: Viewer, id: string): Promise<ChatSession> {
    const found = await this.prisma.chatSession.findFirst({ where: { id, userId: viewer.user.id, tenantId: viewer.user.tenantId } });
    if (!found) throw notFound('Chat session');
    return found;
  }

  async createSession(viewer: Viewer, input: { title?: string | null; model?: string | null }): Promise<ChatSession> {
    const model = this.models.get(input.model).id;
    return this.prisma.chatSession.create({
      data: { tenantId: viewer.user.tenantId, userId: viewer.user.id, title: cleanTitle(input.title) ?? 'New chat', model },
    });
  }

  async updateSession(viewer: Viewer, id: string, input: { title?: string | null; model?: string | null }): Promise<ChatSession> {
    await this.session(viewer, id);
    const title = input.title == null ? undefined : cleanTitle(input.title);
    if (title === null) throw badInput('Title must not be empty.', 'title');
    const model = input.model == null ? undefined : this.models.get(input.model).id;
    return this.prisma.chatSession.update({ where: { id }, data: { title, model } });
  }

  /** Deletes the session and its messages; an answer still streaming in it is stopped. */
  async deleteSession(viewer: Viewer, id: string): Promise<void> {
    await this.session(viewer, id);
    const streaming = await this.prisma.chatMessage.findMany({ where: { sessionId: id, status: 'STREAMING' }, select: { id: true } });
    await this.prisma.chatSession.deleteMany({ where: { id, userId: viewer.user.id } });
    for (const m of streaming) {
      await this.runs.requestStop({ messageId: m.id, tenantId: viewer.user.tenantId, userId: viewer.user.id });
    }
  }

  // ---- chat -----------------------------------------------------------------------------------------------------

  /** Checks limits, saves the user's message (signed in), and starts the answer in the background. */
  async startChat(actor: ChatActor, input: ChatInput): Promise<ChatStarted> {
    this.runs.assertOpen();
    const text = input.message.trim();
    if (!text) throw badInput('Message must not be empty.', 'message');
    if (text.length > this.config.CHAT_MAX_MESSAGE_CHARS) {
      throw badInput(`Message is longer than ${this.config.CHAT_MAX_MESSAGE_CHARS} characters.`, 'message');
    }
    const title = input.title == null ? null : cleanTitle(input.title);
    if (input.title != null && !title) throw badInput('Title must not be empty.', 'title');
    return actor.viewer ? this.startSaved(actor.viewer, text, title, input) : this.startGuest(actor, text, input);
  }

  private async startGuest(actor: ChatActor, text: string, input: ChatInput): Promise<ChatStarted> {
    if (this.config.CHAT_GUEST_RATE_LIMIT === 0) throw new AppError('UNAUTHENTICATED', 'Sign in to chat with the assistant.');
    if (input.sessionId) throw new AppError('UNAUTHENTICATED', 'Sign in to continue a saved chat session.');
    const entry = this.models.get(input.model);
    await this.deps.limiter.check('chatGuestIp', `${actor.tenantId}:${actor.ip ?? 'unknown'}`);
    const owner: RunOwner = { tenantId: actor.tenantId, userId: null };
    await this.budgets.check(owner);
    const userMessage = guestMessage(actor.tenantId, 'USER', text, entry.id, 'COMPLETE');
    const assistant = guestMessage(actor.tenantId, 'ASSISTANT', '', entry.id, 'STREAMING');
    const context = buildContext([{ role: 'USER', content: text }], this.config.CHAT_SYSTEM_PROMPT, this.config.CHAT_CONTEXT_TOKENS);
    this.runs.start(assistant.id, owner, async (run) => {
      const outcome = await generate(run, this.generateOptions(entry.model, context));
      await this.spent(owner, null, entry.id, outcome.usage);
      const message = { ...assistant, ...snapshotOf(outcome), updatedAt: new Date() };
      return terminalFromOutcome(outcome, message);
    });
    return { session: null, userMessage, assistantMessageId: assistant.id };
  }

  private async startSaved(viewer: Viewer, text: string, title: string | null, input: ChatInput): Promise<ChatStarted> {
    const { user } = viewer;
    const existing = input.sessionId ? await this.session(viewer, input.sessionId) : null;
    // A session whose model is no longer configured carries on with the default one.
    const sessionModel = existing && this.models.has(existing.model) ? existing.model : null;
    const entry = this.models.get(input.model ?? sessionModel);
    await this.deps.limiter.check('chatUser', user.id);
    const spender = { tenantId: user.tenantId, userId: user.id };
    await this.budgets.check(spender);

    // One statement writes the session (new, or the existing one's updatedAt) and both messages, atomic without a
    // transaction (chat-writes.ts). Distinct timestamps keep the pair in order in the session's list.
    const now = Date.now();
    const session: ChatSession = existing
      ? { ...existing, updatedAt: new Date(now) }
      : { id: randomUUID(), tenantId: user.tenantId, userId: user.id, title: title ?? deriveTitle(text), model: entry.id, createdAt: new Date(now), updatedAt: new Date(now) };
    const message = (role: ChatMessage['role'], content: string, status: ChatMessage['status'], at: number): ChatMessage => ({
      id: randomUUID(),
      tenantId: user.tenantId,
      userId: user.id,
      sessionId: session.id,
      role,
      content,
      status,
      model: entry.id,
      inputTokens: 0,
      outputTokens: 0,
      errorCode: null,
      createdAt: new Date(at),
      updatedAt: new Date(at),
    });
    const userMessage = message('USER', text, 'COMPLETE', now);
    const assistant = message('ASSISTANT', '', 'STREAMING', now + 1);
    const written = await this.writes.start({ session: session, isNew: !existing, messages: [userMessage, assistant] });
    // Nothing written: the session was deleted since it was read.
    if (!written) throw notFound('Chat session');
    // The session's history up to this message (not the turns of chats started after it), then this message.
    const earlier = existing
      ? await this.prisma.chatMessage.findMany({
          where: { sessionId: session.id, createdAt: { lte: userMessage.createdAt }, id: { notIn: [userMessage.id, assistant.id] } },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: 199,
          select: { role: true, content: true },
        })
      : [];
    const history = [...earlier.reverse(), { role: userMessage.role, content: userMessage.content }];
    const context = buildContext(history, this.config.CHAT_SYSTEM_PROMPT, this.config.CHAT_CONTEXT_TOKENS);
    const wantsTitle = !existing && !title && entry.titles;

    this.runs.start(assistant.id, spender, async (run) => {
      const titled = wantsTitle ? modelTitle(entry.model, text, 15_000) : null;
      const outcome = await generate(run, this.generateOptions(entry.model, context));
      const named = await titled;
      if (named) {
        outcome.usage.inputTokens += named.usage.inputTokens;
        outcome.usage.outputTokens += named.usage.outputTokens;
        await this.prisma.chatSession.updateMany({ where: { id: session.id }, data: { title: named.title } }).catch(() => {});
      }
      return terminalFromOutcome(outcome, await this.save(spender, assistant, entry.id, outcome));
    });
    return { session, userMessage, assistantMessageId: assistant.id };
  }

  private generateOptions(model: Parameters<typeof generate>[1]['model'], context: ReturnType<typeof buildContext>) {
    const c = this.config;
    return {
      model,
      ...context,
      maxOutputTokens: c.CHAT_MAX_OUTPUT_TOKENS,
      timeoutMs: c.CHAT_TIMEOUT_MS,
      chunkTimeoutMs: c.CHAT_CHUNK_TIMEOUT_MS,
      logger: this.deps.logger,
    };
  }

  /** Records the tokens an answer used; a failure is logged, never turned into a failed answer. */
  private async spent(spender: RunOwner, messageId: string | null, model: string, usage: TokenUsage): Promise<void> {
    this.countTokens(model, usage);
    await this.budgets.record(spender, messageId, model, usage).catch((err) => {
      this.deps.logger.error('chat usage not recorded', { messageId, error: err });
    });
  }

  private countTokens(model: string, usage: TokenUsage) {
    this.deps.metrics?.aiTokens.inc({ model, direction: 'input' }, usage.inputTokens);
    this.deps.metrics?.aiTokens.inc({ model, direction: 'output' }, usage.outputTokens);
  }

  /**
   * Saves the final answer and records its usage in one statement. If the session was deleted meanwhile, the usage
   * still counts and the event still carries what was generated.
   */
  private async save(spender: RunOwner, assistant: ChatMessage, model: string, outcome: Parameters<typeof snapshotOf>[0]): Promise<MessageSnapshot> {
    const data = snapshotOf(outcome);
    const saved: ChatMessage = { ...assistant, ...data, updatedAt: new Date() };
    this.countTokens(model, outcome.usage);
    try {
      const stored = await this.writes.end({ message: saved, usage: { spender, messageId: assistant.id, model, usage: outcome.usage } });
      if (!stored) this.deps.logger.info('chat answer not saved: its session was deleted', { messageId: assistant.id });
    } catch (err) {
      this.deps.logger.error('chat answer and usage not saved', { messageId: assistant.id, error: err });
    }
    return saved;
  }

  /** Resolves who may see a message's events: the saved owner, or any holder of a guest run's id. */
  private async access(actor: ChatActor, messageId: string): Promise<{ row: ChatMessage | null; owner: RunOwner }> {
    if (actor.viewer) {
      const row = await this.prisma.chatMessage.findFirst({
        where: { id: messageId, userId: actor.viewer.user.id, tenantId: actor.tenantId, role: 'ASSISTANT' },
      });
      if (row) return { row, owner: { tenantId: row.tenantId, userId: row.userId } };
    }
    const owner = await this.runs.owner(messageId);
    if (!owner || owner.userId !== null || owner.tenantId !== actor.tenantId) throw notFound('Chat message');
    return { row: null, owner };
  }

  /** The events of an answer after token `afterIndex` (all when null), live until it ends. */
  async follow(actor: ChatActor, messageId: string, afterIndex: number | null | undefined): Promise<AsyncGenerator<ChatRunEvent>> {
    if (afterIndex != null && afterIndex < -1) throw badInput('afterIndex must be -1 or more.', 'afterIndex');
    const { row } = await this.access(actor, messageId);
    return this.runs.follow(messageId, afterIndex ?? -1, () => this.fallback(messageId, row));
  }

  /** The events of an answer this instance just started for the caller (no access check needed: it is theirs). */
  followStarted(started: ChatStarted): AsyncGenerator<ChatRunEvent> {
    return this.runs.follow(started.assistantMessageId, -1, () => this.fallback(started.assistantMessageId, null));
  }

  /** The final event from the database, for a run no instance has any more. */
  private async fallback(messageId: string, row: ChatMessage | null): Promise<ChatRunEvent> {
    const fresh = row ? await this.prisma.chatMessage.findUnique({ where: { id: messageId } }) : null;
    return terminalFromRow(fresh);
  }

  /** Stops an answer (on whichever instance runs it) and returns it as saved: STOPPED with the partial text. */
  async stopChat(actor: ChatActor, messageId: string): Promise<MessageSnapshot> {
    const { row, owner } = await this.access(actor, messageId);
    if (row && row.status !== 'STREAMING') return row;
    const local = this.runs.get(messageId);
    const here = await this.runs.requestStop({ messageId, ...owner });
    let terminal: ChatRunEvent | undefined;
    if (here && local) {
      terminal = await local.done;
    } else {
      terminal = await lastOf(this.runs.follow(messageId, Number.MAX_SAFE_INTEGER, () => this.fallback(messageId, row)), 10_000);
    }
    const answer = terminal && answerOf(terminal);
    if (answer) return answer;
    if (row) {
      // No instance runs it any more (its server died): what was saved is final.
      await this.prisma.chatMessage.updateMany({ where: { id: row.id, status: 'STREAMING' }, data: { status: 'STOPPED' } });
      return this.prisma.chatMessage.findUniqueOrThrow({ where: { id: row.id } });
    }
    throw notFound('Chat message');
  }

  async close(): Promise<void> {
    await this.runs.close();
  }
}
