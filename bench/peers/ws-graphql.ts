// Floor for rows 4 and 5: bare graphql-ws over `ws` with a graphql-js schema holding the same subscriptions as
// Parley's connections (`sessionsEnded`, and `conversationEvents` selecting a message and its sender): no yoga, no
// envelop, no Pothos, no auth, no database, no shared execution (graphql-ws executes every event once per
// subscriber). Documents are parsed once per query text (as yoga's parse cache does). What a subscribed graphql-ws
// connection costs on this stack before any server logic: the least any server built on graphql-ws could hold per
// connection (row 5) or spend per delivery (row 4).
// POST /emit sends one sessionsEnded event to every such subscription; POST /broadcast one conversation event whose
// message content is the request body. Both answer how many subscriptions there were.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { buildSchema, parse, type DocumentNode } from 'graphql';

type Event = Record<string, unknown>;

const schema = buildSchema(`
  type SessionEnded { reason: String! }
  type User { id: ID! name: String! }
  type Message { id: ID! content: String sequence: Int! createdAt: String! sender: User }
  type ConversationEvent { type: String! sequence: Int! message: Message }
  type Query { ok: Boolean }
  type Subscription { sessionsEnded: SessionEnded! conversationEvents(conversationId: ID!): ConversationEvent! }
`);

type Listeners = Set<(event: Event) => void>;
const sessionListeners: Listeners = new Set();
const conversationListeners: Listeners = new Set();

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

  constructor(private readonly listeners: Listeners) {
    listeners.add(this.listener);
  }

  next(): Promise<IteratorResult<Event>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  return(): Promise<IteratorResult<Event>> {
    this.listeners.delete(this.listener);
    this.waiter?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

const documents = new Map<string, DocumentNode>();
const root = { sessionsEnded: () => new Events(sessionListeners), conversationEvents: () => new Events(conversationListeners) };
const sender = { id: 'u1', name: 'Sender' };
let sequence = 0;

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/emit' && req.method === 'POST') {
    for (const listener of sessionListeners) listener({ sessionsEnded: { reason: 'SIGNED_OUT' } });
    return res.end(String(sessionListeners.size));
  }
  if (req.url === '/broadcast' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = ++sequence;
      const message = { id: `m${n}`, content: Buffer.concat(chunks).toString(), sequence: n, createdAt: new Date().toISOString(), sender };
      for (const listener of conversationListeners) listener({ conversationEvents: { type: 'MESSAGE_ADDED', sequence: n, message } });
      res.end(String(conversationListeners.size));
    });
    return;
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
