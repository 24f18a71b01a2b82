// Puts a topic's events back in sequence order before they are handed out. Two sends to one conversation commit in
// sequence order (the conversation row lock), but on PostgreSQL their answers come back on two pool connections and
// may be read, and so published, the other way round; two instances publishing through Redis may interleave the
// same way. Every stream that then saw event N+1 before N would read the log to fill the gap: one query per
// subscriber per swap, which under load took the pool from the sends themselves and fell further behind with every
// round (multi-second stalls at 100 subscribers). Held here for a moment, the swap costs nothing: N arrives, and
// both go out in order. An event that never arrives live (its publish was lost) only delays the ones after it by
// the window; they are then handed out as they are, and each stream reads the gap from the log as before.

/** How long events after a missing one wait for it; swapped publishes arrive within a few milliseconds. */
export const REORDER_WINDOW_MS = 100;
/** Events held per key at most; past this the key's held events go out at once. */
const MAX_HELD = 256;
/** Keys remembered per reorderer (an inbox sees many conversations); past this the oldest idle ones are forgotten. */
const MAX_KEYS = 512;

interface KeyState<E> {
  /** The sequence expected next. */
  next: number;
  /** Events ahead of `next`, by sequence, waiting for the gap to fill. */
  held: Map<number, E>;
  timer: NodeJS.Timeout | null;
}

export interface ReorderOptions<E> {
  /** What orders are kept per: the conversation id. */
  key(event: E): string;
  sequence(event: E): number;
  /** Events it lets through as they come, never held and never counted (a streaming message's pieces). */
  unordered?(event: E): boolean;
  windowMs?: number;
}

/**
 * `push` returns the events that may go out now, in order: usually just the one pushed, none while it waits behind a
 * missing one, several once the gap fills. Held events whose window ends go to `release` (from a timer).
 */
export class Reorderer<E> {
  private readonly keys = new Map<string, KeyState<E>>();
  private readonly windowMs: number;

  constructor(
    private readonly opts: ReorderOptions<E>,
    private readonly release: (events: E[]) => void,
  ) {
    this.windowMs = opts.windowMs ?? REORDER_WINDOW_MS;
  }

  push(event: E): E[] {
    if (this.opts.unordered?.(event)) return [event];
    const key = this.opts.key(event);
    const sequence = this.opts.sequence(event);
    const state = this.keys.get(key);
    if (!state) {
      this.remember(key, { next: sequence + 1, held: new Map(), timer: null });
      return [event];
    }
    // A repeat, or one that comes after its window ended: the streams' own gates know what to do with it.
    if (sequence < state.next) return [event];
    if (sequence === state.next) {
      state.next++;
      return state.held.size ? [event, ...this.drain(state)] : [event];
    }
    state.held.set(sequence, event);
    if (state.held.size > MAX_HELD) return this.flush(state);
    state.timer ??= this.expire(state);
    return [];
  }

  /** Events held now (for tests and metrics). */
  held(): number {
    let n = 0;
    for (const state of this.keys.values()) n += state.held.size;
    return n;
  }

  /** Hands out whatever is held and stops every timer. */
  close() {
    const rest: E[] = [];
    for (const state of this.keys.values()) if (state.held.size) rest.push(...this.flush(state));
    this.keys.clear();
    if (rest.length) this.release(rest);
  }

  /** The held events that now follow on from `next`. */
  private drain(state: KeyState<E>): E[] {
    const out: E[] = [];
    for (let event = state.held.get(state.next); event !== undefined; event = state.held.get(state.next)) {
      state.held.delete(state.next);
      state.next++;
      out.push(event);
    }
    if (!state.held.size) this.stopTimer(state);
    return out;
  }

  /** Every held event in sequence order, gap or not; `next` moves past them. */
  private flush(state: KeyState<E>): E[] {
    this.stopTimer(state);
    const sequences = [...state.held.keys()].sort((a, b) => a - b);
    const out = sequences.map((s) => state.held.get(s)!);
    state.held.clear();
    state.next = sequences.at(-1)! + 1;
    return out;
  }

  private expire(state: KeyState<E>): NodeJS.Timeout {
    const timer = setTimeout(() => {
      state.timer = null;
      if (state.held.size) this.release(this.flush(state));
    }, this.windowMs);
    timer.unref();
    return timer;
  }

  private stopTimer(state: KeyState<E>) {
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
  }

  private remember(key: string, state: KeyState<E>) {
    this.keys.set(key, state);
    if (this.keys.size <= MAX_KEYS) return;
    for (const [old, s] of this.keys) {
      if (this.keys.size <= MAX_KEYS) break;
      if (!s.held.size) this.keys.delete(old);
    }
  }
}
