// Floor for row 5: bare graphql-ws over `ws` with a graphql-js schema holding the same `sessionsEnded`
// subscription as Parley's connections: no yoga, no envelop, no Pothos, no auth, no database. Documents are parsed
// once per query text (as yoga's parse cache does). What one subscribed graphql-ws connection costs on this stack
// before any server logic: the least any server built on graphql-ws could hold per connection.
// POST /emit sends one event to every subscription and answers how many there were.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { buildSchema, parse, type DocumentNode } from 'graphql';

type Event = { sessionsEnded: { reason: string } };

const schema = buildSchema(`
  type SessionEnded { reason: String! }
  type Query { ok: Boolean }
  type Subscription { sessionsEnded: SessionEnded! }
`);

const listeners = new Set<(event: Event) => void>();

/** One subscription's events: a queue and at most one waiting next(). */
class Events implements AsyncIterableIterator<Event> {
  private readonly queue: Event[] = [];
  private waiter: ((r: IteratorResult<Event>) => void) | null = null;
  private readonly listener = (event: Event) => {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: event, done: false });
    } else this.queue.push(event);
  };

  constructor() {
    listeners.add(this.listener);
  }

  next(): Promise<IteratorResult<Event>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<Event>> {
    listeners.delete(this.listener);
    this.waiter?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

const documents = new Map<string, DocumentNode>();
const root = { sessionsEnded: () => new Events() };

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/emit' && req.method === 'POST') {
    for (const listener of listeners) listener({ sessionsEnded: { reason: 'SIGNED_OUT' } });
    return res.end(String(listeners.size));
  }
  res.statusCode = 404;
  res.end();
});
const wss = new WebSocketServer({ server });
useServer(
  {
    schema,
    onSubscribe: (_ctx, _id, payload) => {
      let document = documents.get(payload.query);
      if (!document) documents.set(payload.query, (document = parse(payload.query)));
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables, rootValue: root };
    },
  },
  wss,
);
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
