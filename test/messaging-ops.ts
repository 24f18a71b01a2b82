// Typed operations shared by the messaging tests.
import { graphql } from './gql/index.ts';

export const StartDirect = graphql(`
  mutation StartDirect($userId: ID!) {
    startDirectConversation(userId: $userId) {
      id
      kind
      title
      lastSequence
      members {
        role
        user {
          id
          name
        }
      }
    }
  }
`);
export const CreateGroup = graphql(`
  mutation CreateGroup($title: String!, $memberIds: [ID!]!) {
    createGroupConversation(title: $title, memberIds: $memberIds) {
      id
      kind
      title
      members {
        role
        user {
          id
        }
      }
    }
  }
`);
export const AddMembers = graphql(`
  mutation AddMembers($c: ID!, $u: [ID!]!) {
    addMembers(conversationId: $c, userIds: $u) {
      id
      members {
        user {
          id
        }
      }
    }
  }
`);
export const RemoveMember = graphql(`
  mutation RemoveMember($c: ID!, $u: ID!) {
    removeMember(conversationId: $c, userId: $u) {
      id
      members {
        user {
          id
        }
      }
    }
  }
`);
export const Leave = graphql(`
  mutation Leave($c: ID!) {
    leaveConversation(conversationId: $c)
  }
`);
export const Rename = graphql(`
  mutation Rename($c: ID!, $title: String!) {
    renameConversation(conversationId: $c, title: $title) {
      id
      title
    }
  }
`);
export const Send = graphql(`
  mutation Send($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      conversationId
      sequence
      content
      clientMessageId
      senderName
      sender {
        id
      }
      createdAt
    }
  }
`);
export const Edit = graphql(`
  mutation Edit($id: ID!, $content: String!) {
    editMessage(id: $id, content: $content) {
      id
      content
      editedAt
      edits {
        content
      }
    }
  }
`);
export const Delete = graphql(`
  mutation Delete($id: ID!) {
    deleteMessage(id: $id) {
      id
      content
      deletedAt
      sequence
      edits {
        content
      }
    }
  }
`);
export const MarkRead = graphql(`
  mutation MarkRead($c: ID!, $upTo: ID) {
    markConversationRead(conversationId: $c, upToMessageId: $upTo) {
      id
      unreadCount
    }
  }
`);
export const MarkMessagesRead = graphql(`
  mutation MarkMessagesRead($ids: [ID!]!) {
    markMessagesRead(messageIds: $ids) {
      id
      unreadCount
    }
  }
`);
export const Conversations = graphql(`
  query Conversations($first: Int, $after: String) {
    conversations(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          kind
          title
          unreadCount
          lastActivityAt
          lastMessage {
            id
            content
            sequence
            sender {
              id
              name
            }
          }
          members {
            role
            lastReadSequence
            user {
              id
              name
              email
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
export const ConversationQ = graphql(`
  query Conversation($id: ID!) {
    conversation(id: $id) {
      id
      title
      unreadCount
    }
  }
`);
export const ConversationWith = graphql(`
  query ConversationWith($u: ID!) {
    conversationWith(userId: $u) {
      id
    }
  }
`);
export const Messages = graphql(`
  query Messages($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    messages(conversationId: $c, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          id
          sequence
          content
          senderName
          deletedAt
          readBy {
            id
          }
          sender {
            id
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);
export const Search = graphql(`
  query Search($q: String!, $c: ID, $first: Int, $after: String) {
    searchMessages(query: $q, conversationId: $c, first: $first, after: $after) {
      edges {
        cursor
        node {
          snippet
          rank
          message {
            id
            content
            conversationId
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
export const Stats = graphql(`
  query Stats {
    messageStats {
      sent
      received
      unread
      conversations
      perDay {
        date
        sent
        received
      }
    }
  }
`);
export const Users = graphql(`
  query Users($search: String, $first: Int, $after: String) {
    users(search: $search, first: $first, after: $after) {
      edges {
        node {
          id
          name
          email
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
export const Events = graphql(`
  subscription Events($c: ID, $after: Int) {
    conversationEvents(conversationId: $c, afterSequence: $after) {
      type
      sequence
      conversationId
      readUpTo
      message {
        id
        content
        deletedAt
      }
      user {
        id
      }
    }
  }
`);

export const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
