// Floor for row 3: the same history page through bare graphql-yoga (graphql-js schema, default resolvers) over the
// same hand-written `pg` query as peers/history-pg.ts: no Prisma, no session, no membership check, no limits. It
// measures what GraphQL execution alone costs on this stack, i.e. the best any server built on graphql-yoga could do.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const SQL = `SELECT m.id, m.content, m.sequence, m."createdAt", u.id AS "senderId", u.name AS "senderName"
  FROM "Message" m LEFT JOIN "User" u ON u.id = m."senderId"
  WHERE m."conversationId" = $1 ORDER BY m.sequence DESC LIMIT $2`;

const typeDefs = /* GraphQL */ `
  type User { id: ID! name: String! }
  type Message { id: ID! content: String sequence: Int! createdAt: String! sender: User }
  type MessageEdge { node: Message! cursor: String! }
  type MessageConnection { edges: [MessageEdge!]! }
  type Query { messages(conversationId: ID!, last: Int): MessageConnection! }
`;

const yoga = createYoga({
  schema: createSchema({
    typeDefs,
    resolvers: {
      Query: {
        messages: async (_root: unknown, args: { conversationId: string; last?: number }) => {
          const { rows } = await pool.query(SQL, [args.conversationId, args.last ?? 20]);
          return {
            edges: rows.reverse().map((r) => ({
              cursor: String(r.sequence),
              node: {
                id: r.id,
                content: r.content,
                sequence: r.sequence,
                createdAt: (r.createdAt as Date).toISOString(),
                sender: r.senderId ? { id: r.senderId, name: r.senderName } : null,
              },
            })),
          };
        },
      },
    },
  }),
});

createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  void yoga(req, res);
}).listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
