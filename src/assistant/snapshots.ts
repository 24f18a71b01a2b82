// Converting between saved rows, run outcomes and events.
import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../generated/prisma/client.ts';
import { isTerminal, type ChatRunEvent, type MessageSnapshot } from './events.ts';
import { chatErrorMessage, type Outcome } from './generate.ts';
import { storedParts } from './parts.ts';

/** The columns a finished run writes. */
export function snapshotOf(outcome: Outcome) {
  return {
    content: outcome.content,
    status: outcome.status,
    inputTokens: outcome.usage.inputTokens,
    outputTokens: outcome.usage.outputTokens,
    errorCode: outcome.status === 'FAILED' ? outcome.code : null,
    // Plain text stores [] (the content says it); an answer with reasoning or tool calls keeps them in order.
    parts: storedParts(outcome.parts) as ChatMessage['parts'],
  };
}

/** A guest's message: shaped like a saved one, but never stored (no session, no user). */
export function guestMessage(
  tenantId: string,
  role: ChatMessage['role'],
  content: string,
  model: string,
  status: ChatMessage['status'],
): MessageSnapshot {
  const now = new Date();
  return {
    id: randomUUID(),
    tenantId,
    userId: '',
    sessionId: '',
    role,
    content,
    status,
    model,
    inputTokens: 0,
    outputTokens: 0,
    errorCode: null,
    parentId: null,
    parts: [],
    createdAt: now,
    updatedAt: now,
  };
}

/** The terminal event for a message whose run no instance holds any more. */
export function terminalFromRow(row: ChatMessage | null): ChatRunEvent {
  const seq = Number.MAX_SAFE_INTEGER;
  if (row?.status === 'COMPLETE') {
    return { kind: 'completed', seq, answer: row, usage: { inputTokens: row.inputTokens, outputTokens: row.outputTokens } };
  }
  if (row?.status === 'STOPPED') return { kind: 'stopped', seq, answer: row };
  if (row?.status === 'FAILED') {
    const code = (row.errorCode ?? 'PROVIDER_ERROR') as Extract<ChatRunEvent, { kind: 'error' }>['code'];
    return { kind: 'error', seq, code, message: chatErrorMessage(code), answer: row };
  }
  return { kind: 'error', seq, code: 'INTERRUPTED', message: chatErrorMessage('INTERRUPTED'), answer: row };
}

export function answerOf(e: ChatRunEvent): MessageSnapshot | null {
  return isTerminal(e) ? (e as Extract<ChatRunEvent, { answer: unknown }>).answer : null;
}

export async function lastOf(events: AsyncGenerator<ChatRunEvent>, timeoutMs: number): Promise<ChatRunEvent | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
  const drain = (async () => {
    let last: ChatRunEvent | undefined;
    for await (const e of events) last = e;
    return last;
  })();
  try {
    return await Promise.race([drain, timeout]);
  } finally {
    clearTimeout(timer);
    void events.return(undefined);
  }
}

export function terminalFromOutcome(outcome: Outcome, answer: MessageSnapshot) {
  if (outcome.status === 'COMPLETE') return { kind: 'completed' as const, answer, usage: outcome.usage };
  if (outcome.status === 'STOPPED') return { kind: 'stopped' as const, answer };
  return { kind: 'error' as const, code: outcome.code, message: outcome.message, answer };
}
