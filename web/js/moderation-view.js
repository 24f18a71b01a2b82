// The moderation page, for the tenant's moderators and admins (User.role): Moderation in the header shows it in the
// conversations' place. The open reports, oldest first (moderationReports), each with what was reported as it was
// then, to resolve with one of ReportAction's answers and a note (resolveReport), and its person to suspend or let back
// (moderation-people.js); people found by name (roles for admins); the content filter (moderation-filter.js); the
// AI budgets, for admins only (moderation-budgets.js); and the tenant's audit log (moderationLog). The server decides
// who may do what: its refusals are shown as text.
import { $, h, showError, time } from './dom.js';
import { gql } from './api.js';
import { REASONS } from './block-report.js';
import { initPeople, suspension } from './moderation-people.js';
import { FILTER_FIELDS, renderFilter } from './moderation-filter.js';
import { BUDGET_FIELDS, clearBudgets, renderBudgets } from './moderation-budgets.js';

const USER_FIELDS = 'id name username role suspendedAt suspendedReason';
const REPORT_FIELDS = `id createdAt reason note automatic messageId reporter { id name } targetUser { ${USER_FIELDS} }
  snapshot { kind content senderName sentAt attachmentNames name username statusText field }`;
const LOG_FIELDS = 'id action note createdAt actor { name } targetUser { name }';
const PAGE = `query { moderationReports(status: OPEN, first: 50) { edges { node { ${REPORT_FIELDS} } } }
  moderationLog(first: 30) { edges { node { ${LOG_FIELDS} } } } ${FILTER_FIELDS} }`;
/** Admins' page also reads the AI budgets (chatBudgets refuses anyone else). */
const ADMIN_PAGE = PAGE.replace(/}$/, `${BUDGET_FIELDS} }`);

const RESOLVE = 'mutation($id: ID!, $a: ReportAction!, $n: String) { resolveReport(reportId: $id, action: $a, note: $n) { id status } }';
/** ReportAction: what each answer to a report does, as the moderator picks it. */
const RESOLUTIONS = {
  DISMISS: 'Dismiss: nothing to act on',
  DELETE_MESSAGE: 'Delete the message',
  WARN: 'Warn them (they read the note)',
  SUSPEND_USER: 'Suspend them (the note is the reason)',
};
/** What the status line says once a report is resolved with each of them. */
const RESOLVED = { DISMISS: 'dismissed', DELETE_MESSAGE: 'message deleted', WARN: 'warned', SUSPEND_USER: 'suspended' };
const KINDS = { MESSAGE: 'A message', USER: 'A person', FILTER: 'Flagged by the content filter' };
/** What an audit log entry's action says between the actor and the person it was done to. */
const DID = {
  RESOLVE_REPORT: 'resolved a report about',
  DELETE_MESSAGE: 'deleted a message of',
  WARN: 'warned',
  SUSPEND_USER: 'suspended',
  UNSUSPEND_USER: 'lifted the suspension of',
  SET_ROLE: 'set the role of',
  SET_CONTENT_FILTER: 'saved the content filter',
};

/** The page for a new sign-in: Moderation shows in the header for moderators and admins only. */
export function startModeration(viewer) {
  const may = viewer.role === 'MODERATOR' || viewer.role === 'ADMIN';
  stopModeration();
  $('show-moderation').hidden = !may;
  if (!may) return;
  let reads = 0;
  const page = {
    viewer,
    /** Reads the reports, the log and the content filter again; an answer overtaken by a later read is dropped. */
    refresh: async () => {
      const read = ++reads;
      try {
        const data = await gql(viewer.role === 'ADMIN' ? ADMIN_PAGE : PAGE);
        if (read !== reads || $('moderation-view').hidden) return;
        const reports = data.moderationReports.edges.map((e) => e.node);
        renderReports(page, reports);
        renderLog(data.moderationLog.edges.map((e) => e.node));
        renderFilter(page, data.contentFilter);
        if (data.chatBudgets) renderBudgets(page, data.chatBudgets);
      } catch (err) {
        if (read === reads) showError($('moderation-error'), err);
      }
    },
    /**
     * Runs a moderator's action; a refusal is shown as text. The page is read again either way, and `done` says what
     * happened once it shows the result (so nothing is acted on from what the page showed before).
     */
    act: async (run, done) => {
      showError($('moderation-error'), null);
      $('moderation-status').textContent = '';
      try {
        await run();
      } catch (err) {
        showError($('moderation-error'), err);
        await page.refresh();
        return false;
      }
      await page.refresh();
      $('moderation-status').textContent = done;
      return true;
    },
  };
  initPeople(page);
  // Assigned, not added: each sign-in replaces the last one's handlers.
  $('show-moderation').onclick = () => {
    const on = $('moderation-view').hidden;
    show(on);
    if (on) void page.refresh();
  };
  $('moderation-refresh').onclick = () => {
    showError($('moderation-error'), null);
    $('moderation-status').textContent = '';
    void page.refresh();
  };
}

/** Hides the page and empties it (signed out, or another viewer signing in). */
export function stopModeration() {
  if (!$('moderation-view').hidden) show(false);
  $('show-moderation').hidden = true;
  $('show-moderation').onclick = null;
  for (const id of ['moderation-reports', 'moderation-log', 'moderation-people', 'moderation-filter']) $(id).replaceChildren();
  clearBudgets();
  showError($('moderation-error'), null);
  $('moderation-status').textContent = '';
}

/** The page takes the conversations' place while shown. */
function show(on) {
  $('moderation-view').hidden = !on;
  $('app-view').hidden = on;
  $('show-moderation').setAttribute('aria-pressed', String(on));
  $('show-moderation').textContent = on ? 'Back to chat' : 'Moderation';
}

function renderReports(page, reports) {
  $('moderation-reports').replaceChildren(
    ...(reports.length ? reports.map((r) => reportItem(page, r)) : [h('li', { class: 'hint' }, 'No open reports.')]),
  );
}

function reportItem(page, r) {
  const target = r.targetUser;
  return h(
    'li',
    { class: 'moderation-report', dataset: { id: r.id } },
    h(
      'p',
      { class: 'report-line' },
      h('strong', {}, REASONS[r.reason] ?? r.reason),
      ` · ${KINDS[r.snapshot.kind] ?? r.snapshot.kind} · `,
      h('time', { datetime: r.createdAt }, time(r.createdAt)),
    ),
    h('p', { class: 'report-line' }, r.automatic ? 'Filed by the content filter' : `Reported by ${r.reporter?.name ?? 'someone'}`),
    h(
      'p',
      { class: 'report-line' },
      'About ',
      target ? h('strong', {}, target.name) : h('em', {}, 'a deleted account'),
      target?.username ? h('span', { class: 'muted' }, ` @${target.username}`) : null,
      target && target.role !== 'USER' ? h('span', { class: 'muted' }, ` · ${target.role.toLowerCase()}`) : null,
      target?.suspendedAt ? h('span', { class: 'suspended' }, ' · suspended') : null,
    ),
    snapshotOf(r.snapshot),
    r.note ? h('p', { class: 'report-note' }, `Note: ${r.note}`) : null,
    target?.id === page.viewer.id
      ? h('p', { class: 'hint' }, 'This report is about you: another moderator resolves it.')
      : resolveForm(page, r),
    target ? suspension(page, target) : null,
  );
}

/** What was reported, as it was when reported (later edits and deletes do not change it). */
function snapshotOf(s) {
  const lines =
    s.kind === 'USER'
      ? [`${s.name ?? ''}${s.username ? ` @${s.username}` : ''}`, s.statusText ? `Status: ${s.statusText}` : null]
      : [
          s.content || (s.attachmentNames.length ? `📎 ${s.attachmentNames.join(', ')}` : ''),
          s.senderName ? `${s.senderName}${s.sentAt ? `, ${time(s.sentAt)}` : ''}` : null,
          s.kind === 'FILTER' && s.field ? `In: ${s.field}` : null,
        ];
  return h(
    'blockquote',
    { class: 'report-snapshot' },
    ...lines.filter((line) => line != null).map((line, i) => h('p', { class: i ? 'muted' : null }, line)),
  );
}

/** The answers that fit the report: a message to delete only when it is about one, a person to warn or suspend. */
function resolveForm(page, r) {
  const aboutMessage = !!r.messageId || (r.snapshot.kind === 'FILTER' && r.snapshot.field === 'content');
  const fits = { DISMISS: true, DELETE_MESSAGE: aboutMessage, WARN: !!r.targetUser, SUSPEND_USER: !!r.targetUser };
  const offered = Object.entries(RESOLUTIONS).filter(([action]) => fits[action]);
  const action = h(
    'select',
    { id: `resolution-${r.id}`, name: 'action' },
    ...offered.map(([value, label]) => h('option', { value }, label)),
  );
  const note = h('textarea', { id: `resolution-note-${r.id}`, name: 'note', rows: '2', maxlength: '1000' });
  return h(
    'form',
    {
      class: 'report-resolve',
      onsubmit: (e) => {
        e.preventDefault();
        const chosen = action.value;
        void page.act(() => gql(RESOLVE, { id: r.id, a: chosen, n: note.value.trim() || null }), `Report resolved: ${RESOLVED[chosen]}.`);
      },
    },
    h('label', { for: action.id }, 'Resolution'),
    action,
    h('label', { for: note.id }, 'Note (with Warn, what they are told)'),
    note,
    h('button', { type: 'submit' }, 'Resolve'),
  );
}

function renderLog(entries) {
  $('moderation-log').replaceChildren(
    ...(entries.length
      ? entries.map((a) =>
          h(
            'li',
            { class: 'moderation-entry' },
            h('time', { datetime: a.createdAt }, time(a.createdAt)),
            ' ',
            h('strong', {}, a.actor?.name ?? 'A deleted account'),
            ` ${DID[a.action] ?? a.action}`,
            a.targetUser ? ` ${a.targetUser.name}` : '',
            a.note ? h('span', { class: 'muted' }, ` — ${a.note}`) : null,
          ),
        )
      : [h('li', { class: 'hint' }, 'Nothing done yet.')]),
  );
}
