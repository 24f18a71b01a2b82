// Generation runs: one per assistant message, owned by the instance that started it and independent of any
// subscriber (a client that disconnects does not stop it; stop() does). Each run keeps its events in memory for
// local followers and, with Redis, appends them to a replay list and publishes them on the message's topic, which
// is how a follower on another instance gets them (remote-follow.ts).
import type { Logger } from '../logger.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { isTerminal, type ChatPartEvent, type ChatRunEvent, type RunOwner, type StopRequest } from './events.ts';
import { followRemote } from './remote-follow.ts';
import type { RedisReplay } from './replay.ts';
import { AppError } from '../errors.ts';

type Terminal = Exclude<ChatRunEvent, ChatPartEvent>;
type PartBody = ChatPartEvent extends infer T ? (T extends ChatPartEvent ? Omit<T, 'seq'> : never) : never;
type TerminalBody = Terminal extends infer T ? (T extends Terminal ? Omit<T, 'seq'> : never) : never;

export class Run {
  readonly events: ChatRunEvent[] = [];
  readonly controller = new AbortController();
  /** Why the signal fired: a user's stop, or this instance shutting down. */
  stopReason: 'user' | 'shutdown' | null = null;
  terminal: Terminal | null = null;
  private readonly listeners = new Set<(e: ChatRunEvent) => void>();
  private resolveDone!: (e: Terminal) => void;
  readonly done = new Promise<Terminal>((r) => (this.resolveDone = r));

  constructor(
    readonly messageId: string,
    readonly owner: RunOwner,
    private readonly forward: (e: ChatRunEvent) => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  token(delta: string): void {
    if (delta) this.part({ kind: 'token', delta });
  }

  /** Emits a part of the answer (text, reasoning, a tool call or result, a source) with the next seq. */
  part(body: PartBody): void {
    if (this.terminal) return;
    this.emit({ ...body, seq: this.events.length } as ChatPartEvent);
  }

  finish(body: TerminalBody): Terminal {
    if (this.terminal) return this.terminal;
    const event = { ...body, seq: this.events.length } as Terminal;
    this.terminal = event;
    this.emit(event);
    this.resolveDone(event);
    return event;
  }

  stop(reason: 'user' | 'shutdown'): void {
    if (this.terminal || this.controller.signal.aborted) return;
    this.stopReason = reason;
    this.controller.abort();
  }

  /** Events after `after`, then live ones up to the terminal event. Replay and attach happen in one tick: no gap. */
  async *follow(after: number): AsyncGenerator<ChatRunEvent> {
    const queue = this.events.filter((e) => e.seq > after || isTerminal(e));
    let wake: (() => void) | null = null;
    const listener = (e: ChatRunEvent) => {
      queue.push(e);
      wake?.();
    };
    if (!this.terminal) this.listeners.add(listener);
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const e = queue.shift()!;
        yield e;
        if (isTerminal(e)) return;
      }
    } finally {
      this.listeners.delete(listener);
    }
  }

  private emit(e: ChatRunEvent) {
    this.events.push(e);
    for (const l of this.listeners) l(e);
    this.forward(e);
  }
}

export interface RunRegistryDeps {
  pubsub: ParleyPubSub;
  replay: RedisReplay | null;
  logger: Logger;
  /** How long a finished run stays followable from memory. */
  retainMs: number;
  /** A bus follower that hears nothing for this long re-reads the replay list, then gives up on a dead run. */
  idleMs: number;
}

export class RunRegistry {
  private readonly runs = new Map<string, Run>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly settling = new Set<Promise<void>>();
  private closing = false;
  private readonly stops: AsyncIterator<StopRequest> | null;

  constructor(private readonly deps: RunRegistryDeps) {
    // With Redis, a stop may be asked on any instance; the one that owns the run acts on it.
    this.stops = deps.replay ? deps.pubsub.subscribe('chat:stop')[Symbol.asyncIterator]() : null;
    if (this.stops) void this.listenForStops(this.stops);
  }

  /** SERVICE_UNAVAILABLE once the instance is shutting down (a client retries on another instance). */
  assertOpen(): void {
    if (this.closing) throw new AppError('SERVICE_UNAVAILABLE', 'The server is shutting down; retry shortly.');
  }

  get(messageId: string): Run | undefined {
    return this.runs.get(messageId);
  }

  /**
   * Starts `body` in the background; its returned terminal event (or a thrown error) ends the run. `onEvent` hears
   * each event in order, after it is in the replay list (so a reader of eventsSoFar on any instance has it).
   */
  start(
    messageId: string,
    owner: RunOwner,
    body: (run: Run) => Promise<TerminalBody>,
    onEvent?: (e: ChatRunEvent) => void | Promise<void>,
  ): Run {
    this.assertOpen();
    const { replay, pubsub, logger } = this.deps;
    const failed = (err: unknown) => logger.warn('chat replay write failed', { messageId, error: err });
    let chain: Promise<unknown> = replay ? replay.start(messageId, owner).catch(failed) : Promise.resolve();
    const told = (e: ChatRunEvent) =>
      Promise.resolve(onEvent?.(e)).catch((err) => logger.warn('chat run listener failed', { messageId, error: err }));
    const forward = (e: ChatRunEvent) => {
      if (!replay) {
        if (onEvent) chain = chain.then(() => told(e));
        return;
      }
      // One ordered chain per run: append (for late followers) strictly before publish (for live ones).
      chain = chain
        .then(() => replay.append(messageId, e))
        .then(() => pubsub.publish('chat:events', messageId, e))
        .catch(failed)
        .then(() => told(e));
    };
    const run = new Run(messageId, owner, forward);
    this.runs.set(messageId, run);
    const started = performance.now();
    const settled = (async () => {
      try {
        run.finish(await body(run));
        logger.info('chat run', {
          messageId,
          tenant: owner.tenantId,
          user: owner.userId,
          outcome: run.terminal?.kind,
          tokens: run.events.length - 1,
          ms: Math.round(performance.now() - started),
        });
      } catch (err) {
        logger.error('chat run failed', { messageId, error: err });
        run.finish({ kind: 'error', code: 'PROVIDER_ERROR', message: 'The answer could not be generated.', answer: null });
      }
      await chain;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.runs.get(messageId) === run) this.runs.delete(messageId);
      }, this.deps.retainMs);
      timer.unref();
      this.timers.add(timer);
    })();
    this.settling.add(settled);
    void settled.finally(() => this.settling.delete(settled));
    return run;
  }

  /** Stops the run wherever it runs. True when this instance had it. */
  async requestStop(req: StopRequest): Promise<boolean> {
    const run = this.runs.get(req.messageId);
    if (run) {
      if (mayStop(run.owner, req)) run.stop('user');
      return true;
    }
    if (this.deps.replay) this.deps.pubsub.publish('chat:stop', req);
    return false;
  }

  /** The events of a live or recent run so far (this instance's memory, else the replay list); null when unknown. */
  async eventsSoFar(messageId: string): Promise<ChatRunEvent[] | null> {
    const local = this.runs.get(messageId);
    if (local) return local.events;
    if (!this.deps.replay || !(await this.deps.replay.owner(messageId))) return null;
    return this.deps.replay.events(messageId);
  }

  /** Who owns a live or recent run (this instance's memory, else the replay list), or null. */
  async owner(messageId: string): Promise<RunOwner | null> {
    return this.runs.get(messageId)?.owner ?? (await this.deps.replay?.owner(messageId)) ?? null;
  }

  /**
   * The run's events after `after` and then live to the end. When no instance has the run (finished long ago,
   * or its server died), `fallback` supplies the terminal event from the database.
   */
  async *follow(messageId: string, after: number, fallback: () => Promise<ChatRunEvent>): AsyncGenerator<ChatRunEvent> {
    const local = this.runs.get(messageId);
    if (local) return yield* local.follow(after);
    const { replay, pubsub, logger, idleMs } = this.deps;
    if (!replay) return yield await fallback();
    yield* followRemote({ replay, pubsub, logger, idleMs }, messageId, after, fallback);
  }

  private async listenForStops(stops: AsyncIterator<StopRequest>) {
    try {
      for (;;) {
        const r = await stops.next();
        if (r.done) return;
        const run = this.runs.get(r.value.messageId);
        if (run && mayStop(run.owner, r.value)) run.stop('user');
      }
    } catch (err) {
      this.deps.logger.error('chat stop listener failed', { error: err });
    }
  }

  /** Ends every run on this instance (saved as interrupted) and waits for them to settle, bounded. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closing = true;
    await this.stops?.return?.();
    for (const run of this.runs.values()) run.stop('shutdown');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.settling), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Its owner stops a run; so does any member of the conversation an answer is written in (checked where they asked). */
const mayStop = (owner: RunOwner, req: StopRequest) =>
  owner.tenantId === req.tenantId && (req.byMember === true || owner.userId === req.userId);
