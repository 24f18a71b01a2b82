// Parley's own tools. The two that read messages call the services the GraphQL fields call (searchMessages, a
// conversation's history) with the asking user's actor, so membership, tenants and a group's history shown from
// joining on apply to the model exactly as to the user: it never reads what they could not.
import { z } from 'zod';
import type { JSONSchema7 } from '@ai-sdk/provider';
import { encodeCursor } from '../../messaging/input.ts';
import { AppError } from '../../errors.ts';
import { ToolError, type ChatTool, type ToolContext } from './types.ts';

/** The characters of one message's text a tool hands the model at most. */
const MESSAGE_CHARS = 1_000;

const clip = (text: string) => (text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}…` : text);

/** A built-in tool: its input checked by a zod schema, whose JSON schema is what the model is shown. */
function builtIn<S extends z.ZodType>(
  name: string,
  description: string,
  schema: S,
  run: (input: z.infer<S>, ctx: ToolContext) => Promise<unknown>,
  forGuests = false,
): ChatTool & { forGuests: boolean } {
  const { $schema: _drop, ...inputSchema } = z.toJSONSchema(schema) as JSONSchema7;
  return {
    name,
    description,
    inputSchema,
    source: 'BUILT_IN',
    forGuests,
    async run(raw, ctx) {
      const parsed = schema.safeParse(raw ?? {});
      if (!parsed.success) throw new ToolError(`Invalid input: ${z.prettifyError(parsed.error)}`);
      try {
        return { output: await run(parsed.data, ctx) };
      } catch (err) {
        // The service's refusal (NOT_FOUND, BAD_USER_INPUT) is the model's to read, as a user would.
        if (err instanceof AppError) throw new ToolError(err.message);
        throw err;
      }
    },
  };
}

/** The signed-in user's actor, or the refusal a guest's call gets. */
function actorOf(ctx: ToolContext) {
  if (!ctx.userId || !ctx.services) throw new ToolError('This tool is only for signed-in users.');
  return { actor: { tenantId: ctx.tenantId, userId: ctx.userId }, services: ctx.services };
}

export const BUILT_IN_TOOLS = [
  builtIn(
    'current_time',
    'The current date and time (ISO 8601, UTC).',
    z.object({}),
    async () => ({ now: new Date().toISOString(), timeZone: 'UTC' }),
    true,
  ),
  builtIn(
    'search_messages',
    'Full-text search of the user\'s conversations (words, "phrases", -exclusions), best match first. Returns message ids, conversation ids, when they were sent and their text.',
    z.object({
      query: z.string().min(1).max(200).describe('What to look for.'),
      conversationId: z.string().max(100).optional().describe('Search only this conversation.'),
      limit: z.number().int().min(1).max(20).optional().describe('How many results (default 10).'),
    }),
    async (input, ctx) => {
      const { actor, services } = actorOf(ctx);
      if (input.conversationId) await services.conversations.requireMember(actor, input.conversationId);
      const page = await services.search.searchMessages(actor, {
        query: input.query,
        conversationId: input.conversationId ?? null,
        first: input.limit ?? 10,
      });
      return {
        results: page.edges.map(({ node: hit }) => ({
          messageId: hit.message.id,
          conversationId: hit.message.conversationId,
          senderId: hit.message.senderId,
          sentAt: hit.message.createdAt,
          text: clip(hit.message.content),
        })),
      };
    },
  ),
  builtIn(
    'read_conversation',
    'Reads a conversation the user is in: its latest messages (or those before `beforeSequence`), oldest first, with who wrote them.',
    z.object({
      conversationId: z.string().min(1).max(100).describe('The conversation.'),
      limit: z.number().int().min(1).max(50).optional().describe('How many messages (default 20).'),
      beforeSequence: z.number().int().min(1).optional().describe('Read the messages before this sequence number (older ones).'),
    }),
    async (input, ctx) => {
      const { actor, services } = actorOf(ctx);
      const before = input.beforeSequence == null ? null : encodeCursor('m', input.beforeSequence);
      const page = await services.messages.page(input.conversationId, { last: input.limit ?? 20, before }, { viewer: actor });
      return {
        messages: page.edges.map(({ node: { message, sender } }) => ({
          messageId: message.id,
          sequence: message.sequence,
          sender: sender ? { id: sender.id, name: sender.name } : null,
          sentAt: message.createdAt,
          text: message.deletedAt ? null : clip(message.content),
        })),
        hasOlder: page.pageInfo.hasPreviousPage,
      };
    },
  ),
];
