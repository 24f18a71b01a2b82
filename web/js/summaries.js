// Where summaries are offered: Summarize unread in the open conversation's head while its backlog is kept unread for
// it (read-marker.js), and Summarize thread in the thread panel's head. Each has its own panel (summary.js). They use
// the model picked in the Assistant panel.
import { $ } from './dom.js';
import { summaryPanel } from './summary.js';

let reads = null;
let conversationId = () => null;
let threadRootId = () => null;
const model = () => $('model').value || null;

const unread = summaryPanel($('summary-panel'), {
  title: () => 'Summary of unread messages',
  lists: '#message-list',
  // The server has read the messages after the pointer: it may move now.
  started: () => reads?.release(),
});
const thread = summaryPanel($('thread-summary-panel'), {
  title: () => 'Summary of this thread',
  lists: '#thread-root, #thread-replies',
});

/** marker: the open conversation's readMarker; current(): its id; currentThread(): the open thread's root id. */
export function initSummaries(marker, current, currentThread) {
  reads = marker;
  conversationId = current;
  threadRootId = currentThread;
}

/** Shows Summarize unread (with the count) while the open conversation's unread messages are held for it. */
export function renderSummarize() {
  const held = reads?.held();
  const show = !!held && held.id === conversationId();
  $('summarize-unread').hidden = !show;
  if (show) $('summarize-unread').textContent = `Summarize unread (${held.count})`;
}

/** The conversation closed: its summaries go. */
export function closeSummaries() {
  unread.close();
  thread.close();
  renderSummarize();
}

/** The thread panel closed or shows another thread. */
export const closeThreadSummary = () => thread.close();

$('summarize-unread').addEventListener('click', () => {
  const id = conversationId();
  if (id) unread.start(id, 'UNREAD', null, model());
});
$('summarize-thread').addEventListener('click', () => {
  const id = conversationId();
  const root = threadRootId();
  if (id && root) thread.start(id, 'THREAD', root, model());
});
