// A few GraphQL calls the harness makes itself (sign-ups, sign-ins) before measuring.
import { randomUUID } from 'node:crypto';

export const PASSWORD = 'correct horse battery';

export async function gql<T>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data as T;
}

export async function signUp(url: string, username?: string): Promise<{ token: string; id: string; email: string }> {
  const email = `bench-${randomUUID()}@example.com`;
  const data = await gql<{ signUp: { token: string; user: { id: string } } }>(
    url,
    'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
    { input: { email, password: PASSWORD, name: 'Bench User', ...(username ? { username } : {}) } },
  );
  return { token: data.signUp.token, id: data.signUp.user.id, email };
}

export const SIGN_IN = 'mutation($input: SignInInput!) { signIn(input: $input) { token } }';

export async function signIn(url: string, email: string): Promise<string> {
  const data = await gql<{ signIn: { token: string } }>(url, SIGN_IN, { input: { email, password: PASSWORD } });
  return data.signIn.token;
}

/** Runs `fn` over `items` with at most `concurrency` at a time. */
export async function pool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** A group owned by the user (with `memberIds` as other members) holding `messages` messages; returns its id. */
export async function seedConversation(url: string, token: string, messages: number, memberIds: string[] = []): Promise<string> {
  const { createGroupConversation } = await gql<{ createGroupConversation: { id: string } }>(
    url,
    'mutation($m: [ID!]!) { createGroupConversation(memberIds: $m, title: "bench") { id } }',
    { m: memberIds },
    token,
  );
  for (let i = 0; i < messages; i++) {
    await gql(
      url,
      'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
      {
        input: { conversationId: createGroupConversation.id, content: `message ${i}: the quick brown fox jumps over the lazy dog` },
      },
      token,
    );
  }
  return createGroupConversation.id;
}

const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
const REACT = 'mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { id } }';

/**
 * A group of the owner and `other` (whose username is `otherUsername`) holding `messages` main-history messages with
 * what a busy conversation has: every third quotes the one before, every fourth mentions `other`, every second
 * carries two reactions, every fifth has a thread reply. Returns its id.
 */
export async function seedRichConversation(
  url: string,
  owner: { token: string },
  other: { token: string; id: string },
  otherUsername: string,
  messages: number,
): Promise<string> {
  const { createGroupConversation } = await gql<{ createGroupConversation: { id: string } }>(
    url,
    'mutation($m: [ID!]!) { createGroupConversation(memberIds: $m, title: "bench rich") { id } }',
    { m: [other.id] },
    owner.token,
  );
  const conversationId = createGroupConversation.id;
  let previous: string | null = null;
  for (let i = 0; i < messages; i++) {
    const mention = i % 4 === 0 ? ` @${otherUsername}` : '';
    const input = { conversationId, content: `message ${i}: the quick brown fox jumps over the lazy dog${mention}` };
    const sent: { sendMessage: { id: string } } = await gql(
      url,
      SEND,
      { input: { ...input, ...(previous && i % 3 === 0 ? { replyToId: previous } : {}) } },
      owner.token,
    );
    const id = sent.sendMessage.id;
    if (i % 2 === 0) {
      await gql(url, REACT, { m: id, e: '👍' }, owner.token);
      await gql(url, REACT, { m: id, e: '🎉' }, other.token);
    }
    if (i % 5 === 0) await gql(url, SEND, { input: { conversationId, content: `thread reply ${i}`, threadRootId: id } }, other.token);
    previous = id;
  }
  return conversationId;
}
