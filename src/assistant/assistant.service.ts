// AI chat: sessions owned by one user, streaming runs, stop, resume, guest mode and token budgets. The GraphQL
// schema calls this; chat-starts.ts starts an answer, runs.ts moves the tokens, generate.ts talks to the model.
import type { Redis } from 'ioredis';
import type { PrismaClient, ChatSession, ChatMessage } from '../generated/prisma/client.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { Viewer } from '../accounts/accounts.types.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import { ModelRegistry } from './models.ts';
import { RunRegistry } from './runs.ts';
import { Budgets } from './budgets.ts';
import { ChatPresets } from './presets.ts';
import { ChatStarts } from './chat-starts.ts';
import { RedisReplay } from './replay.ts';
import { ToolRegistry } from './tools/registry.ts';
import type { ToolServices } from './tools/types.ts';
import type { ChatFileDeps } from './chat-files.ts';
import { chatBranch } from '../db/sql/chat.ts';

/** Messages of one branch ChatSession.messages pages through at most. */
const MAX_BRANCH = 10_000;
/** Siblings ChatMessage.siblings lists at most. */
const MAX_SIBLINGS = 100;
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import { cleanSystemPrompt, cleanTitle } from './context.ts';
import { answerOf, lastOf, terminalFromRow } from './snapshots.ts';
import type { ChatRunEvent, MessageSnapshot, RunOwner } from './events.ts';
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
  /** One of the tenant's presets: its model (unless `model` is given) and its instructions for this answer. */
  presetId?: string | null;
  /** Answer from this point of the session (a new branch); default: the newest message of the newest branch. */
  parentMessageId?: string | null;
  /** A new answer beside this assistant message. */
  regenerate?: string | null;
  /** The viewer's uploads to send with the message. */
  attachmentIds?: string[] | null;
}

export interface ChatStarted {
  /** Null for guests: nothing is saved. */
  session: ChatSession | null;
  userMessage: MessageSnapshot;
  assistantMessageId: string;
}

/** What creating or updating a session takes; an omitted field is the default (create) or unchanged (update). */
export interface SessionInput {
  title?: string | null;
  model?: string | null;
  /** The session's instructions to the model; "" (or only spaces) goes back to the server's. */
  systemPrompt?: string | null;
}

export class AssistantService {
  readonly models: ModelRegistry;
  readonly runs: RunRegistry;
  readonly budgets: Budgets;
  /** The tenant's presets (presets.ts). */
  readonly presets: ChatPresets;
  /** The tools answers may call: built-ins and the tenant's MCP servers (tools/registry.ts). */
  readonly tools: ToolRegistry;
  private readonly starts: ChatStarts;

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
      /** What the message tools (search_messages, read_conversation) read through; without it they are not offered. */
      messaging?: ToolServices;
      /** Reads the files a chat message sends (ChatInput.attachmentIds); without it a message takes none. */
      attachments?: ChatFileDeps['attachments'];
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
    this.tools = new ToolRegistry({
      prisma: deps.prisma,
      logger: deps.logger,
      services: deps.messaging ?? null,
      timeoutMs: config.CHAT_TOOL_TIMEOUT_MS,
      cacheMs: config.TENANT_CACHE_MS,
    });
    this.presets = new ChatPresets(deps.prisma, this.models, this.tools);
    this.starts = new ChatStarts({ ...deps, models: this.models, runs: this.runs, budgets: this.budgets, tools: this.tools });
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

  async createSession(viewer: Viewer, input: SessionInput): Promise<ChatSession> {
    const model = this.models.get(input.model).id;
    const systemPrompt = cleanSystemPrompt(input.systemPrompt) ?? null;
    return this.prisma.chatSession.create({
      data: { tenantId: viewer.user.tenantId, userId: viewer.user.id, title: cleanTitle(input.title) ?? 'New chat', model, systemPrompt },
    });
  }

  async updateSession(viewer: Viewer, id: string, input: SessionInput): Promise<ChatSession> {
    await this.session(viewer, id);
    const title = input.title == null ? undefined : cleanTitle(input.title);
    if (title === null) throw badInput('Title must not be empty.', 'title');
    const model = input.model == null ? undefined : this.models.get(input.model).id;
    return this.prisma.chatSession.update({ where: { id }, data: { title, model, systemPrompt: cleanSystemPrompt(input.systemPrompt) } });
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
    // A regenerated answer answers the question it answered: the message text is ignored.
    const text = input.regenerate ? '' : input.message.trim();
    if (!text && !input.regenerate) throw badInput('Message must not be empty.', 'message');
    if (text.length > this.config.CHAT_MAX_MESSAGE_CHARS) {
      throw badInput(`Message is longer than ${this.config.CHAT_MAX_MESSAGE_CHARS} characters.`, 'message');
    }
    const title = input.title == null ? null : cleanTitle(input.title);
    if (input.title != null && !title) throw badInput('Title must not be empty.', 'title');
    if (input.presetId && !actor.viewer) throw new AppError('UNAUTHENTICATED', 'Sign in to use a preset.');
    if (input.attachmentIds?.length && !actor.viewer) throw new AppError('UNAUTHENTICATED', 'Sign in to send files to the assistant.');
    if ((input.parentMessageId || input.regenerate) && !actor.viewer) {
      throw new AppError('UNAUTHENTICATED', 'Sign in to continue a saved chat session.');
    }
    if (input.regenerate && input.attachmentIds?.length) {
      throw badInput('A regenerated answer takes the files of its question.', 'attachmentIds');
    }
    const preset = input.presetId ? await this.presets.get(actor.tenantId, input.presetId) : null;
    if (!actor.viewer) return this.starts.guest(actor, text, input);
    const regenerate = input.regenerate ? await this.answerToRegenerate(actor.viewer, input.regenerate, input.sessionId) : null;
    const sessionId = regenerate?.sessionId ?? input.sessionId;
    const existing = sessionId ? await this.session(actor.viewer, sessionId) : null;
    return this.starts.saved(actor.viewer, existing, text, title, input, preset, regenerate);
  }

  /** An answer of the viewer's (in `sessionId` when given) to answer again; NOT_FOUND for anything else. */
  private async answerToRegenerate(viewer: Viewer, id: string, sessionId: string | null | undefined): Promise<ChatMessage> {
    const found = await this.prisma.chatMessage.findFirst({
      where: { id, userId: viewer.user.id, tenantId: viewer.user.tenantId, role: 'ASSISTANT', ...(sessionId ? { sessionId } : {}) },
    });
    if (!found) throw new AppError('NOT_FOUND', 'No such answer in your chat sessions.', { field: 'regenerate' });
    return found;
  }

  // ---- branches -------------------------------------------------------------------------------------------------

  /**
   * The ids of one branch of a session, root first: the one ending at `leafId` (a message of the session, else
   * NOT_FOUND), by default the newest message's.
   */
  async branchIds(session: ChatSession, leafId: string | null | undefined): Promise<string[]> {
    const leaf = leafId
      ? await this.prisma.chatMessage.findFirst({ where: { id: leafId, sessionId: session.id }, select: { id: true } })
      : await this.prisma.chatMessage.findFirst({
          where: { sessionId: session.id },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          select: { id: true },
        });
    if (!leaf) {
      if (leafId) throw new AppError('NOT_FOUND', 'No such message in this chat session.', { field: 'leafId' });
      return [];
    }
    return (await chatBranch(this.prisma, session.id, leaf.id, MAX_BRANCH)).map((m) => m.id);
  }

  /** The messages beside `message` (the same parent in the same session, itself included), oldest first. */
  async siblings(message: ChatMessage): Promise<ChatMessage[]> {
    if (!message.sessionId) return [message]; // a guest's, never saved
    return this.prisma.chatMessage.findMany({
      where: { sessionId: message.sessionId, parentId: message.parentId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: MAX_SIBLINGS,
    });
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
    // An unsaved run of a signed-in user (a summary, summaries.ts) is theirs alone; a guest run is any id holder's.
    const mine = owner?.userId === null || (!!actor.viewer && owner?.userId === actor.viewer.user.id);
    if (!owner || !mine || owner.tenantId !== actor.tenantId) throw notFound('Chat message');
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
      terminal = await lastOf(
        this.runs.follow(messageId, Number.MAX_SAFE_INTEGER, () => this.fallback(messageId, row)),
        10_000,
      );
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
