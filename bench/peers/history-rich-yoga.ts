// Floor for row 3's rich page: the same rich page through bare graphql-yoga (graphql-js schema, default resolvers)
// over the same hand-written queries as peers/history-rich-pg.ts (the viewer named by an `x-viewer-id` header): what
// GraphQL execution of the rich selection alone costs on this stack.
import { serveYoga } from './serve.ts';
import { createSchema, createYoga } from 'graphql-yoga';
import { richPage } from './history-rich-rows.ts';

const typeDefs = /* GraphQL */ `
  type User {
    id: ID!
    name: String!
  }
  type Reaction {
    emoji: String!
    count: Int!
    reactedByMe: Boolean!
  }
  type ThreadSummary {
    replyCount: Int!
    lastReplyAt: String!
  }
  type Message {
    id: ID!
    content: String
    sequence: Int!
    createdAt: String!
    sender: User
    senderName: String!
    replyTo: Message
    reactions: [Reaction!]!
    mentions: [User!]!
    threadSummary: ThreadSummary
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
        messages: async (_root: unknown, args: { conversationId: string }, ctx: { request: Request }) => ({
          edges: (await richPage(args.conversationId, ctx.request.headers.get('x-viewer-id') ?? '')).map(({ node }) => ({
            cursor: String(node.sequence),
            node,
          })),
        }),
      },
    },
  }),
});

serveYoga(yoga);
