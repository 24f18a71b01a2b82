// Peer for row 3's rich page: the same 50 messages with what a chat client shows beside each (the quoted message,
// reactions with the viewer's own marked, mentioned members, thread summaries), and the same JSON as Parley's
// RICH_PAGE, from hand-written `pg` queries (peers/history-rich-rows.ts) on node:http (no GraphQL, no session check).
// POST /history with `{ "conversationId", "viewerId" }` as the body.
import { serveHistory } from './serve.ts';
import { richPage } from './history-rich-rows.ts';

serveHistory((body) => {
  const { conversationId, viewerId } = JSON.parse(body);
  return richPage(conversationId, viewerId);
});
