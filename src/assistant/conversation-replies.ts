// @assistant in conversations: a message that mentions the tenant's assistant (assistant-users.ts) in a
// conversation that has it on gets an answer there, from that user, in the mention's thread or quoting it in the
// main history. The answer is a Message that streams (messaging/streaming-messages.ts): MESSAGE_ADDED (STREAMING),
// MESSAGE_DELTA per piece, MESSAGE_COMPLETED with the text written once. The model reads the conversation's recent
// messages (or the thread) as the mentioner may read them; budgets and the chat rate limit count against the
// mentioner and their tenant. Its run is an ordinary chat run (runs.ts), so any member may stop it on any instance,
// and a reader on any instance gets its text so far (textSoFar, from the run or its replay list).
import type { Message, PrismaClient } from '../generated/prisma/client.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { Messaging } from '../messaging/messaging.service.ts';
import type { StreamingSource, TextSoFar } from '../messaging/streaming-messages.ts';
import type { Actor } from '../messaging/conversations.service.ts';
import { mentionedUsernames } from '../messaging/mentions.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import { ASSISTANT_USERNAME, type AssistantUsers, type AssistantUser } from './assistant-users.ts';
import type { Budgets } from './budgets.ts';
import type { ModelRegistry } from './models.ts';
import type { RunRegistry } from './runs.ts';
import type { ToolRegistry } from './tools/registry.ts';
import { generate, type Outcome } from './generate.ts';
import { buildContext } from './context.ts';
import { guestMessage, lastOf, terminalFromOutcome, terminalFromRow } from './snapshots.ts';
import type { ChatRunEvent } from './events.ts';

/** Messages of the conversation (or thread) the model reads before the mention, at most. */
const CONTEXT_MESSAGES = 40;

const INSTRUCTIONS =
  'You are the assistant of a team chat, mentioned as @assistant in a conversation. Each message is shown as ' +
  '"Name: text". Answer the last message that mentions you, briefly, in the language it is written in.';

export interface ConversationRepliesDeps {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  limiter: RateLimiter;
  messaging: Messaging;
  users: AssistantUsers;
  runs: RunRegistry;
  models: ModelRegistry;
  budgets: Budgets;
  /** The tools an answer may call, with the mentioner's rights (tools/registry.ts). */
  tools: ToolRegistry;
}

export class ConversationReplies implements StreamingSource {
  private readonly answering = new Set<Promise<void>>();

  constructor(private readonly deps: ConversationRepliesDeps) {}

  /** Told of every message sent: one that mentions @assistant gets an answer (in the background). */
  heard(message: Message): void {
    if (!message.senderId || !mentionedUsernames(message.content).includes(ASSISTANT_USERNAME)) return;
    const answering = this.answer(message, message.senderId).catch((err) =>
      this.deps.logger.error('assistant reply failed to start', { messageId: message.id, error: err }),
    );
    this.answering.add(answering);
    void answering.finally(() => this.answering.delete(answering));
  }

  /** Waits for answers being started (not the runs themselves): for shutdown and tests. */
  async settled(): Promise<void> {
    await Promise.all(this.answering);
  }

  /** The text so far of an answer still streaming, from its run here or its replay list. */
  async textSoFar(messageId: string): Promise<TextSoFar | null> {
    const events = await this.deps.runs.eventsSoFar(messageId);
    if (!events) return null;
    let text = '';
    let pieces = 0;
    for (const e of events) {
      if (e.kind !== 'token') continue;
      text += e.delta;
      pieces++;
    }
    return { text, pieces };
  }

  /**
   * Stops an answer streaming in a conversation the actor reads (on whichever instance writes it) and returns the
   * message as it ends. An answer that already ended is returned as it is.
   */
  async stop(actor: Actor, messageId: string): Promise<Message> {
    const { messaging, runs, prisma } = this.deps;
    const message = await messaging.messages.requireVisible(actor, messageId);
    const bot = await this.deps.users.of(actor.tenantId);
    if (!bot || message.senderId !== bot.id) throw badInput('That message is not an answer of the assistant.', 'messageId');
    if (message.status !== 'STREAMING') return message;
    const here = runs.get(messageId);
    if (here) {
      here.stop('user');
      await here.done;
    } else if (await runs.owner(messageId)) {
      // Another instance writes it: asked there over the bus, and its end followed here.
      await runs.requestStop({ messageId, tenantId: actor.tenantId, userId: actor.userId, byMember: true });
      await lastOf(
        runs.follow(messageId, Number.MAX_SAFE_INTEGER, async () => terminalFromRow(null)),
        10_000,
      );
    } else {
      // No instance writes it any more (its server stopped): what it has is final.
      await messaging.streaming.finish(message, message.content, 'STOPPED');
    }
    return (await prisma.message.findUnique({ where: { id: messageId } })) ?? Promise.reject(notFound('Message'));
  }

  private async answer(mention: Message, mentionerId: string): Promise<void> {
    const { messaging, limiter, budgets } = this.deps;
    const bot = await this.deps.users.of(mention.tenantId);
    if (!bot || bot.id === mentionerId) return;
    const actor: Actor = { tenantId: mention.tenantId, userId: mentionerId };
    let refusal: string | null = null;
    try {
      await limiter.check('chatUser', mentionerId);
      await budgets.check(actor);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      refusal = `I can't answer: ${err.message}`;
    }
    const answer = await messaging.streaming.start({
      tenantId: mention.tenantId,
      conversationId: mention.conversationId,
      senderId: bot.id,
      replyToId: mention.threadRootId ? null : mention.id,
      threadRootId: mention.threadRootId,
    });
    if (!answer) return; // the group has the assistant turned off (or is gone)
    if (refusal !== null) {
      await messaging.streaming.finish(answer, refusal, 'FAILED');
      return;
    }
    const history = await this.history(actor, mention, bot);
    this.run(answer, actor, history);
  }

  /** The conversation's recent messages (or the thread, root first) up to the mention, as the mentioner reads them. */
  private async history(actor: Actor, mention: Message, bot: AssistantUser) {
    const { messages } = this.deps.messaging;
    const threadRootId = mention.threadRootId ?? undefined;
    const page = await messages.page(mention.conversationId, { last: CONTEXT_MESSAGES, before: null }, { viewer: actor, threadRootId });
    const rows = page.edges.map((e) => e.node).filter((r) => r.message.sequence <= mention.sequence);
    const lines = rows.map((r) => ({ message: r.message, name: r.sender?.name ?? 'Someone' }));
    if (threadRootId) {
      const root = await messages.requireVisible(actor, threadRootId).catch(() => null);
      const sender = root?.senderId
        ? await this.deps.prisma.user.findUnique({ where: { id: root.senderId }, select: { name: true } })
        : null;
      if (root) lines.unshift({ message: root, name: sender?.name ?? 'Someone' });
    }
    return lines
      .filter((l) => !l.message.deletedAt && l.message.content && l.message.status !== 'STREAMING')
      .map((l) =>
        l.message.senderId === bot.id
          ? { role: 'ASSISTANT' as const, content: l.message.content }
          : { role: 'USER' as const, content: `${l.name}: ${l.message.content}` },
      );
  }

  /** Generates the answer: each token a MESSAGE_DELTA, then the text written once, the tokens counted. */
  private run(answer: Message, spender: Actor, history: { role: 'USER' | 'ASSISTANT'; content: string }[]) {
    const { config, runs, models, budgets, messaging, logger, tools } = this.deps;
    // Looked up at each answer: a model registered after start-up (an embedding application's) may be named.
    const entry = models.has(config.CHAT_ASSISTANT_MODEL ?? '') ? models.get(config.CHAT_ASSISTANT_MODEL) : models.get(null);
    const context = buildContext(
      history,
      [config.CHAT_SYSTEM_PROMPT, INSTRUCTIONS].filter(Boolean).join('\n\n'),
      config.CHAT_CONTEXT_TOKENS,
    );
    let pieces = 0;
    const onEvent = (e: ChatRunEvent) => (e.kind === 'token' ? messaging.streaming.delta(answer, pieces++, e.delta) : undefined);
    runs.start(
      answer.id,
      spender,
      async (run) => {
        // The mentioner's tools (search_messages reads what they may); none when they cannot be listed.
        const toolbox = await tools.toolbox({ tenantId: spender.tenantId, userId: spender.userId }, run.signal).catch((err: unknown) => {
          logger.error('assistant tools not listed', { error: err });
          return null;
        });
        const outcome = await generate(run, {
          model: entry.model,
          ...context,
          toolbox,
          maxSteps: config.CHAT_MAX_STEPS,
          maxOutputTokens: config.CHAT_MAX_OUTPUT_TOKENS,
          timeoutMs: config.CHAT_TIMEOUT_MS,
          chunkTimeoutMs: config.CHAT_CHUNK_TIMEOUT_MS,
          logger,
        });
        await budgets.record(spender, answer.id, entry.id, outcome.usage).catch((err) => {
          logger.error('assistant usage not recorded', { messageId: answer.id, error: err });
        });
        const text = finalText(outcome);
        await messaging.streaming.finish(answer, text, outcome.status).catch((err) => {
          logger.error('assistant answer not saved', { messageId: answer.id, error: err });
        });
        const snapshot = { ...guestMessage(spender.tenantId, 'ASSISTANT', text, entry.id, outcome.status), id: answer.id };
        return terminalFromOutcome(outcome, snapshot);
      },
      onEvent,
    );
  }
}

/** What an answer says at its end: its text, or for a failure with nothing written, why. */
function finalText(outcome: Outcome): string {
  if (outcome.status !== 'FAILED' || outcome.content) return outcome.content;
  return `I can't answer: ${outcome.message}`;
}
