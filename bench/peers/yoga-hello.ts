// Peer for row 1: the graphql-yoga hello-world on node:http, with yoga's defaults, plus the /health route the
// harness waits for.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }),
});

createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  void yoga(req, res);
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
