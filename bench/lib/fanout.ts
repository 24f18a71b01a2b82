// Shared by rows 4 and 8: a group with one sender and member subscribers on Parley, and one fan-out run driven from
// the load process (lib/fanout-clients.ts).
import { gql, pool, signUp } from './gql.ts';
import { runChild } from './load.ts';
import { TS } from './proc.ts';
import type { FanoutResult, FanoutSpec } from './fanout-clients.ts';

export const EVENTS =
  'subscription($c: ID!) { conversationEvents(conversationId: $c) { type sequence message { id content createdAt sender { id name } } } }';
/** Members holding the subscriptions; subscriber i uses member i % MEMBERS (a group has at most 256 members). */
export const MEMBERS = 20;
/** Sign-ups only set the stage: cheap hashing, no sign-up limit. */
export const FANOUT_ENV = { BCRYPT_COST: '4', RATE_LIMIT_SIGN_UP_IP: 'off' };

export interface Group {
  conversationId: string;
  senderToken: string;
  memberTokens: string[];
}

export async function fanoutGroup(url: string): Promise<Group> {
  const sender = await signUp(url);
  const members = await pool(Array.from({ length: MEMBERS }), 4, () => signUp(url));
  const { createGroupConversation } = await gql<{ createGroupConversation: { id: string } }>(
    url,
    'mutation($m: [ID!]!) { createGroupConversation(memberIds: $m, title: "fan-out") { id } }',
    { m: members.map((m) => m.id) },
    sender.token,
  );
  return { conversationId: createGroupConversation.id, senderToken: sender.token, memberTokens: members.map((m) => m.token) };
}

/** Messages for the fixed-rate latency phase: `seconds` of sending at `rate` (at least 5 messages). */
export const rateMessagesFor = (rate: number, seconds: number) => Math.max(5, Math.round(rate * seconds));

/** What a fan-out run connects to and how it sends, without its message counts and rate. */
export type FanoutTarget = Omit<FanoutSpec, 'messages' | 'inFlight' | 'rate' | 'rateMessages'>;

/**
 * A run against `target`: `messages` at saturation (4 in flight), or with `rate` > 0 a latency phase of
 * `rateSeconds` at that rate (after `messages` probe-sized sends).
 */
export function fanoutSpec(target: FanoutTarget, messages: number, rate: number, rateSeconds = 5): FanoutSpec {
  return { ...target, messages, inFlight: 4, rate, rateMessages: rateMessagesFor(rate, rateSeconds) };
}

export function parleySpec(
  httpUrls: string[],
  group: Group,
  subscribers: number,
  messages: number,
  rate: number,
  rateSeconds = 5,
): FanoutSpec {
  const target: FanoutTarget = {
    protocol: 'graphql-ws',
    wsUrls: httpUrls.map((u) => u.replace(/^http/, 'ws') + '/graphql'),
    subscribers,
    tokens: group.memberTokens,
    query: EVENTS,
    variables: { c: group.conversationId },
    send: {
      url: `${httpUrls[0]}/graphql`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${group.senderToken}` },
      body: JSON.stringify({
        query: 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
        variables: { input: { conversationId: group.conversationId, content: '@STAMP@' } },
      }),
    },
  };
  return fanoutSpec(target, messages, rate, rateSeconds);
}

export const fanout = (spec: FanoutSpec) => runChild<FanoutResult>([...TS, 'bench/lib/fanout-clients.ts', JSON.stringify(spec)]);
