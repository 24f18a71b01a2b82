// Assembles the schema: importing each feature's schema file registers its types on the builder.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import '../accounts/accounts.schema.ts';
import '../accounts/blocks.schema.ts';
import '../accounts/privacy.schema.ts';
import '../auth/auth.schema.ts';
import '../messaging/messaging.schema.ts';
import '../presence/presence.schema.ts';
import '../assistant/assistant.schema.ts';
import '../assistant/budgets.schema.ts';
import '../assistant/presets.schema.ts';
import '../assistant/summaries.schema.ts';
import '../assistant/conversation-replies.schema.ts';
import '../attachments/attachments.schema.ts';
import '../moderation/reports.schema.ts';
import '../moderation/moderation.schema.ts';
import '../moderation/filters.schema.ts';

export const schema = builder.toSchema({ sortSchema: false });

/** The SDL committed as schema.graphql (sorted, so diffs are stable). */
export const printedSchema = () => printSchema(lexicographicSortSchema(schema)) + '\n';
