// GraphQL of conversation summaries: the summarizeConversation subscription and SummaryScope. Rules live in
// summaries.ts; the events are chat's (chat-events.ts), so a client that renders `chat` renders a summary.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { ChatEvent, withStarted } from './chat-events.ts';
import { NOTHING_TO_SUMMARIZE, SUMMARY_MAX_MESSAGES, Summaries } from './summaries.ts';

const SummaryScope = builder.enumType('SummaryScope', {
  description: 'Which messages of a conversation summarizeConversation reads.',
  values: {
    UNREAD: {
      description:
        "Others' messages of the main history after your read pointer (what Conversation.unreadCount counts there; thread replies are summarized with THREAD).",
    },
    LAST_DAY: { description: 'Messages of the main history sent in the last 24 hours (yours included).' },
    THREAD: { description: 'The thread whose root is `threadRootId`: the root, then its replies.' },
  } as const,
});

builder.subscriptionField('summarizeConversation', (t) =>
  t.field({
    type: ChatEvent,
    authScopes: { signedIn: true },
    description: `Streams an AI summary of messages you can read in a conversation, as a chat answer that is not saved: ChatStarted (session null; assistantMessageId for stopChat and chatStream while the summary runs), a ChatSource for each message used (the i-th is cited as [i] in the text, oldest first), ChatToken..., then ChatCompleted, ChatStopped or ChatError. At most the newest ${SUMMARY_MAX_MESSAGES} messages of the scope, deleted ones left out; with none, ChatCompleted answers "${NOTHING_TO_SUMMARIZE}" without asking a model. Counts against your token budget and chat rate limit like \`chat\` (QUOTA_EXCEEDED, RATE_LIMITED). NOT_FOUND for a conversation you are not a member of, or a threadRootId not in it; BAD_USER_INPUT for THREAD without threadRootId.`,
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation (you must be a member).' }),
      scope: t.arg({ type: SummaryScope, required: true, description: 'Which messages to summarize.' }),
      threadRootId: t.arg.id({ description: "The thread's root message (THREAD only; a reply stands for its thread)." }),
      model: t.arg.string({ description: 'Model id from chatModels; default: the server default.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const started = await new Summaries(ctx.services).start(requireViewer(ctx), {
        conversationId: String(args.conversationId),
        scope: args.scope,
        threadRootId: args.threadRootId == null ? null : String(args.threadRootId),
        model: args.model,
      });
      return withStarted(started, ctx.services.assistant.followStarted(started));
    },
    resolve: (event) => event,
  }),
);
