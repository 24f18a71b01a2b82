// Registers the messaging part of the schema (types, root fields, subscriptions).
import './messages.schema.ts';
import './conversations.schema.ts';
import './conversations.mutations.ts';
import './events.schema.ts';
import './reactions.schema.ts';
import './search.schema.ts';
import './threads.schema.ts';
import './requests.schema.ts';
import './invitations.schema.ts';
import './groups.schema.ts';
