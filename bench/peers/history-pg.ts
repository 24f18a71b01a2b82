// Peer for row 3: the same 50-message page with senders, and the same JSON, served by one hand-written `pg` query
// on node:http (no GraphQL, no session check). POST /history with the conversation id as the body.
import { serveHistory } from './serve.ts';
import { historyEdges } from './history-rows.ts';

serveHistory((conversationId) => historyEdges(conversationId, 50));
