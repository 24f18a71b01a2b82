// The waiting room in front of embedded PGlite. PGlite is one connection, and it runs PostgreSQL (compiled to
// WebAssembly) synchronously on this thread: while a statement runs, no JavaScript runs at all, so nothing can stop it
// half-way. Not a timer (none fires until the statement returns), and not PostgreSQL's own statement_timeout either:
// PostgreSQL enforces it with SIGALRM, which PGlite emulates with a JavaScript timer, so it is accepted and ignored
// (a statement of 0.8 s under `SET statement_timeout = 200` completes). Cancelling would take PGlite in a worker
// thread, and then killing that worker (a crash of the whole database, every session with it) is all there is.
//
// What can be bounded is the queue in front of it, which is where one viewer's burst makes everybody else wait: a
// statement (or transaction) that has not started within `maxWaitMs` is refused without running, with the SQLSTATE a
// PostgreSQL statement_timeout raises (57014, a retryable SERVICE_UNAVAILABLE for clients); at most `maxWaiting` wait
// at once, further ones are refused at once (53300, as PostgreSQL's "too many clients"). A burst therefore holds the
// database for at most about `maxWaitMs` plus one statement, and work queued behind it fails fast instead of piling up.
import { messages, type PGlite } from '@electric-sql/pglite';

export interface QueueLimits {
  /** The longest a statement waits for the connection; 0: no limit. */
  maxWaitMs: number;
  /** Statements (and transactions) waiting at once; more are refused. */
  maxWaiting: number;
}

/** What pglite-prisma-adapter (performIO, startTransaction) and Database.query use of a PGlite instance. */
export type PGliteStatements = Pick<PGlite, 'query' | 'exec' | 'transaction'>;

interface Waiter {
  since: number;
  timer?: NodeJS.Timeout;
  enter: () => void;
  refuse: (err: Error) => void;
}

/** `pglite` with every statement and transaction passing through one bounded FIFO queue. */
export function queuedPGlite(pglite: PGlite, limits: QueueLimits): PGliteStatements {
  const queue = new ConnectionQueue(limits);
  return {
    query: (text, params, options) => queue.run(() => pglite.query(text, params, options)),
    exec: (text, options) => queue.run(() => pglite.exec(text, options)),
    transaction: (callback) => queue.run(() => pglite.transaction(callback)),
  };
}

class ConnectionQueue {
  private busy = false;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limits: QueueLimits) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy) await this.wait();
    this.busy = true;
    try {
      return await work();
    } finally {
      this.handOver();
    }
  }

  private wait(): Promise<void> {
    if (this.waiting.length >= this.limits.maxWaiting) {
      return Promise.reject(databaseError('53300', `more than ${this.limits.maxWaiting} statements are waiting for the embedded database`));
    }
    return new Promise((enter, refuse) => {
      const waiter: Waiter = { since: performance.now(), enter, refuse };
      // Fires while the connection is held between statements (a transaction waiting on the application); while a
      // statement runs it cannot, and handOver() checks the time instead.
      if (this.limits.maxWaitMs > 0) {
        waiter.timer = setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          refuse(this.waitedTooLong());
        }, this.limits.maxWaitMs);
      }
      this.waiting.push(waiter);
    });
  }

  /** The connection goes to the first waiter still within its limit; those past it are refused without running. */
  private handOver(): void {
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      clearTimeout(next.timer);
      if (this.limits.maxWaitMs > 0 && performance.now() - next.since > this.limits.maxWaitMs) {
        next.refuse(this.waitedTooLong());
        continue;
      }
      next.enter(); // still busy: it is the next holder
      return;
    }
    this.busy = false;
  }

  private waitedTooLong(): Error {
    return databaseError('57014', `canceling statement: it waited more than ${this.limits.maxWaitMs} ms for the embedded database`);
  }
}

/** An error as PGlite raises it for PostgreSQL, so the Prisma adapter and error classification treat both alike. */
function databaseError(code: string, message: string): Error {
  const error = new messages.DatabaseError(message, 0, 'error');
  error.severity = 'ERROR';
  error.code = code;
  return error;
}
