// Floor for row 3: the same history page through bare graphql-yoga (graphql-js schema, default resolvers) over the
// same hand-written `pg` query as peers/history-pg.ts: no Prisma, no session, no membership check, no limits. It
// measures what GraphQL execution alone costs on this stack, i.e. the best any server built on graphql-yoga could do.
import { serveYoga } from './serve.ts';
import { createSchema, createYoga } from 'graphql-yoga';
import { historyEdges } from './history-rows.ts';

const typeDefs = /* GraphQL */ `
  type User {
    id: ID!
    name: String!
  }
  type Message {
    id: ID!
    content: String
    sequence: Int!
    createdAt: String!
    sender: User
  }
  type MessageEdge {
    node: Message!
    cursor: String!
  }
  type MessageConnection {
    edges: [MessageEdge!]!
  }
  type Query {
    messages(conversationId: ID!, last: Int): MessageConnection!
  }
`;

const yoga = createYoga({
  schema: createSchema({
    typeDefs,
    resolvers: {
      Query: {
        messages: async (_root: unknown, args: { conversationId: string; last?: number }) => ({
          edges: (await historyEdges(args.conversationId, args.last ?? 20)).map(({ node }) => ({ cursor: String(node.sequence), node })),
        }),
      },
    },
  }),
});

serveYoga(yoga);
