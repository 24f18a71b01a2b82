// Starting an answer, once AssistantService has checked the input: the rate limit and token budget, the user's
// message (saved with its session for a signed-in user, kept in memory for a guest), the model's context, and the
// run's body in the background: generate (and for a new session a title), count and record the tokens it used, and
// save the final answer.
import { randomUUID } from 'node:crypto';
import type { PrismaClient, ChatPreset, ChatSession, ChatMessage } from '../generated/prisma/client.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Viewer } from '../accounts/accounts.types.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { Metrics } from '../observability/metrics.ts';
import { AppError, notFound } from '../errors.ts';
import type { ModelRegistry } from './models.ts';
import type { RunRegistry } from './runs.ts';
import type { Budgets } from './budgets.ts';
import type { ToolRegistry, ToolAsker } from './tools/registry.ts';
import { ChatWrites } from './chat-writes.ts';
import { loadChatFiles, type ChatFileDeps, type ChatFiles } from './chat-files.ts';
import { chatBranch } from '../db/sql/chat.ts';
import { partsOf } from './parts.ts';
import { generate } from './generate.ts';
import { buildContext, deriveTitle, modelTitle } from './context.ts';
import { guestMessage, snapshotOf, terminalFromOutcome } from './snapshots.ts';
import type { MessageSnapshot, RunOwner, TokenUsage } from './events.ts';
import type { ChatActor, ChatInput, ChatStarted } from './assistant.service.ts';

export interface ChatStartsDeps {
  config: Config;
  prisma: PrismaClient;
  logger: Logger;
  limiter: RateLimiter;
  metrics?: Metrics;
  models: ModelRegistry;
  runs: RunRegistry;
  budgets: Budgets;
  tools: ToolRegistry;
  /** Reads the files a message sends (chat-files.ts); without it a message takes none. */
  attachments?: ChatFileDeps['attachments'];
}

export class ChatStarts {
  private readonly writes: ChatWrites;

  constructor(private readonly deps: ChatStartsDeps) {
    this.writes = new ChatWrites(deps.prisma);
  }

  /** A guest's answer: nothing is saved; the run is followed by its message id. */
  async guest(actor: ChatActor, text: string, input: ChatInput): Promise<ChatStarted> {
    const { config, models, runs, budgets, limiter } = this.deps;
    if (config.CHAT_GUEST_RATE_LIMIT === 0) throw new AppError('UNAUTHENTICATED', 'Sign in to chat with the assistant.');
    if (input.sessionId) throw new AppError('UNAUTHENTICATED', 'Sign in to continue a saved chat session.');
    const entry = models.get(input.model);
    await limiter.check('chatGuestIp', `${actor.tenantId}:${actor.ip ?? 'unknown'}`);
    const owner: RunOwner = { tenantId: actor.tenantId, userId: null };
    await budgets.check(owner);
    const userMessage = guestMessage(actor.tenantId, 'USER', text, entry.id, 'COMPLETE');
    const assistant = guestMessage(actor.tenantId, 'ASSISTANT', '', entry.id, 'STREAMING');
    const context = buildContext([{ role: 'USER', content: text }], config.CHAT_SYSTEM_PROMPT, config.CHAT_CONTEXT_TOKENS);
    runs.start(assistant.id, owner, async (run) => {
      const outcome = await generate(run, await this.generateOptions(run, entry.model, context, owner));
      await this.spent(owner, null, entry.id, outcome.usage);
      const message = { ...assistant, ...snapshotOf(outcome), updatedAt: new Date() };
      return terminalFromOutcome(outcome, message);
    });
    return { session: null, userMessage, assistantMessageId: assistant.id };
  }

  /**
   * A signed-in user's answer, in `existing` (the viewer's own session, already checked) or a new session. A preset
   * gives this answer its model and instructions, and a new session takes them.
   */
  async saved(
    viewer: Viewer,
    existing: ChatSession | null,
    text: string,
    title: string | null,
    input: ChatInput,
    preset: ChatPreset | null,
    /** The answer to regenerate (the viewer's, of `existing`): a new answer beside it to the same question. */
    regenerate: ChatMessage | null = null,
  ): Promise<ChatStarted> {
    const { config, models, runs, budgets, limiter, prisma } = this.deps;
    const { user } = viewer;
    // A session whose model is no longer configured carries on with the default one.
    const sessionModel = existing && models.has(existing.model) ? existing.model : null;
    // Likewise a preset whose model is gone answers with the session's or the default one.
    const presetModel = preset && models.has(preset.model) ? preset.model : null;
    const entry = models.get(input.model ?? presetModel ?? sessionModel);
    await limiter.check('chatUser', user.id);
    const spender = { tenantId: user.tenantId, userId: user.id };
    await budgets.check(spender);
    // Files are checked and read before anything is written: a refused one leaves no message behind.
    // The question a regenerated answer answers (its files sent again), or where the new question goes in the session.
    const question = regenerate ? await this.question(regenerate) : null;
    const parentId = question ? null : await this.parentOf(existing, input.parentMessageId);
    const fileIds = question ? partsOf(question.parts).flatMap((p) => (p.type === 'file' ? [p.attachmentId] : [])) : input.attachmentIds;
    const files = await loadChatFiles({ prisma, attachments: this.deps.attachments ?? null }, spender, fileIds, entry);

    // One statement writes the session (new, or the existing one's updatedAt) and both messages, atomic without a
    // transaction (chat-writes.ts). Distinct timestamps keep the pair in order in the session's list.
    const now = Date.now();
    const session: ChatSession = existing
      ? { ...existing, updatedAt: new Date(now) }
      : {
          id: randomUUID(),
          tenantId: user.tenantId,
          userId: user.id,
          title: title ?? deriveTitle(text),
          model: entry.id,
          systemPrompt: preset?.systemPrompt ?? null,
          createdAt: new Date(now),
          updatedAt: new Date(now),
        };
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
      parentId: null,
      parts: [],
      createdAt: new Date(at),
      updatedAt: new Date(at),
    });
    const userMessage = question ?? { ...message('USER', text, 'COMPLETE', now), parentId };
    if (!question && files.parts.length) userMessage.parts = [{ type: 'text', text }, ...files.parts] as ChatMessage['parts'];
    // The answer follows the question; nothing is overwritten (a regenerated answer is a sibling of the old one).
    const assistant = { ...message('ASSISTANT', '', 'STREAMING', now + 1), parentId: userMessage.id };
    const messages = question ? [assistant] : [userMessage, assistant];
    const written = await this.writes.start({ session: session, isNew: !existing, messages });
    // Nothing written: the session was deleted since it was read.
    if (!written) throw notFound('Chat session');
    // The branch the question continues (not the turns of other branches), then the question itself.
    const leaf = question ? question.parentId : parentId;
    const earlier = leaf ? await chatBranch(prisma, session.id, leaf, 199) : [];
    const history = [...earlier, { role: userMessage.role, content: userMessage.content }];
    const system = preset?.systemPrompt ?? session.systemPrompt ?? config.CHAT_SYSTEM_PROMPT;
    const context = withFiles(buildContext(history, system, config.CHAT_CONTEXT_TOKENS), files);
    const wantsTitle = !existing && !title && entry.titles;

    runs.start(assistant.id, spender, async (run) => {
      const titled = wantsTitle ? modelTitle(entry.model, text, 15_000) : null;
      const asker = { ...spender, preset: preset?.tools ?? null };
      const outcome = await generate(run, await this.generateOptions(run, entry.model, context, asker));
      const named = await titled;
      if (named) {
        outcome.usage.inputTokens += named.usage.inputTokens;
        outcome.usage.outputTokens += named.usage.outputTokens;
        await prisma.chatSession.updateMany({ where: { id: session.id }, data: { title: named.title } }).catch(() => {});
      }
      return terminalFromOutcome(outcome, await this.save(spender, assistant, entry.id, outcome));
    });
    return { session, userMessage, assistantMessageId: assistant.id };
  }

  /**
   * Where a new question goes: after `parentMessageId` (a message of the session, else NOT_FOUND), by default after
   * the session's newest message (the end of the branch last continued); first in a new session.
   */
  private async parentOf(existing: ChatSession | null, parentMessageId: string | null | undefined): Promise<string | null> {
    const { prisma } = this.deps;
    if (parentMessageId) {
      const parent =
        existing && (await prisma.chatMessage.findFirst({ where: { id: parentMessageId, sessionId: existing.id }, select: { id: true } }));
      if (!parent) throw new AppError('NOT_FOUND', 'No such message in this chat session.', { field: 'parentMessageId' });
      return parent.id;
    }
    if (!existing) return null;
    const newest = await prisma.chatMessage.findFirst({
      where: { sessionId: existing.id },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true },
    });
    return newest?.id ?? null;
  }

  /** The question a regenerated answer answers (its parent); NOT_FOUND when it is gone. */
  private async question(answer: ChatMessage): Promise<ChatMessage> {
    const found = answer.parentId
      ? await this.deps.prisma.chatMessage.findFirst({ where: { id: answer.parentId, sessionId: answer.sessionId, role: 'USER' } })
      : null;
    if (!found) throw new AppError('NOT_FOUND', 'The question of this answer is gone.', { field: 'regenerate' });
    return found;
  }

  /** What generate() takes for an answer: the model, its context, the limits, and the tools `asker` may use. */
  private async generateOptions(
    run: { signal: AbortSignal },
    model: Parameters<typeof generate>[1]['model'],
    context: ReturnType<typeof buildContext>,
    asker: ToolAsker,
  ) {
    const c = this.deps.config;
    return {
      model,
      ...context,
      // Tools that cannot be listed (the database failing) leave the answer without tools, not without an answer.
      toolbox: await this.deps.tools.toolbox(asker, run.signal).catch((err: unknown) => {
        this.deps.logger.error('chat tools not listed', { error: err });
        return null;
      }),
      maxSteps: c.CHAT_MAX_STEPS,
      maxOutputTokens: c.CHAT_MAX_OUTPUT_TOKENS,
      timeoutMs: c.CHAT_TIMEOUT_MS,
      chunkTimeoutMs: c.CHAT_CHUNK_TIMEOUT_MS,
      logger: this.deps.logger,
    };
  }

  /** Records the tokens an answer used; a failure is logged, never turned into a failed answer. */
  private async spent(spender: RunOwner, messageId: string | null, model: string, usage: TokenUsage): Promise<void> {
    this.countTokens(model, usage);
    await this.deps.budgets.record(spender, messageId, model, usage).catch((err) => {
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
  private async save(
    spender: RunOwner,
    assistant: ChatMessage,
    model: string,
    outcome: Parameters<typeof snapshotOf>[0],
  ): Promise<MessageSnapshot> {
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
}

/** The context with the files after the text of its last message (the user's new one, which buildContext always keeps). */
function withFiles(context: ReturnType<typeof buildContext>, files: ChatFiles): ReturnType<typeof buildContext> {
  const last = context.messages.at(-1);
  if (!files.content.length || last?.role !== 'user' || typeof last.content !== 'string') return context;
  const messages = [
    ...context.messages.slice(0, -1),
    { role: 'user' as const, content: [{ type: 'text' as const, text: last.content }, ...files.content] },
  ];
  return { ...context, messages };
}
