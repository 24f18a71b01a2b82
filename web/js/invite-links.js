// Invite links: in the group panel for those who may manage them (create with an optional number of uses and days to
// expiry, copy, revoke), and joining with one: the app opened as /?invite=<code> joins that group once signed in
// (joinByInvite), opens it, and takes the code out of the address.
import { $, h, showError, time } from './dom.js';
import { ApiError, gql } from './api.js';

const INVITE_FIELDS = 'id code url expiresAt maxUses uses revokedAt';
const DAY_MS = 24 * 60 * 60 * 1000;

/** The group whose links are listed (null: none), its links, newest first, and its member count when they were read. */
let group = null;
let links = [];
let countRead = null;

/** The panel opened on group `c`: read its links when the viewer may manage them. */
export function openInvites(c) {
  group = c;
  links = [];
  countRead = c.memberCount;
  $('invite-status').textContent = '';
  $('invite-form').reset();
  renderLinks();
  if (c.viewerCan?.manageInvites) void load(c);
}

/**
 * The panel drew group `c` again: its invite links show only while the viewer may manage them, read again when
 * someone joined or left (who may have used one).
 */
export function showInvites(c) {
  const may = !!c.viewerCan?.manageInvites;
  if (may && group !== c) return openInvites(c);
  $('group-invites').hidden = !may;
  if (may && c.memberCount !== countRead) {
    countRead = c.memberCount;
    void load(c);
  }
}

export function closeInvites() {
  group = null;
  links = [];
  $('invite-list').replaceChildren();
}

async function load(c) {
  try {
    const { conversation } = await gql(`query($id: ID!) { conversation(id: $id) { id inviteLinks { ${INVITE_FIELDS} } } }`, { id: c.id });
    if (group !== c) return;
    links = conversation?.inviteLinks ?? [];
    renderLinks();
  } catch (err) {
    if (group === c) showError($('group-error'), err);
  }
}

function state(link) {
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt && new Date(link.expiresAt) <= new Date()) return 'expired';
  if (link.maxUses != null && link.uses >= link.maxUses) return 'used up';
  return null;
}

function renderLinks() {
  $('group-invites').hidden = !group?.viewerCan?.manageInvites;
  $('invite-list').replaceChildren(...(links.length ? links.map(item) : [h('li', { class: 'hint' }, 'No invite links yet.')]));
}

function item(link, i) {
  const ended = state(link);
  const url = h('input', { class: 'invite-url', readonly: true, value: link.url, 'aria-label': `Invite link ${i + 1}` });
  const uses = link.maxUses == null ? `Used ${link.uses} ${link.uses === 1 ? 'time' : 'times'}` : `Used ${link.uses} of ${link.maxUses}`;
  const expiry = link.expiresAt ? ` · expires ${time(link.expiresAt)}` : ' · never expires';
  return h(
    'li',
    { class: `invite${ended ? ' ended' : ''}`, dataset: { code: link.code } },
    url,
    h('span', { class: 'invite-meta' }, uses, ended ? ` · ${ended}` : expiry),
    ended ? null : h('button', { type: 'button', class: 'link', onclick: () => void copy(url) }, 'Copy'),
    link.revokedAt ? null : h('button', { type: 'button', class: 'link', onclick: () => void revoke(link) }, 'Revoke'),
  );
}

/** Copies a link; where the clipboard is not available (an http page, permission refused) selects it instead. */
async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    $('invite-status').textContent = 'Link copied.';
  } catch {
    input.focus();
    input.select();
    $('invite-status').textContent = 'Link selected: press Ctrl+C (⌘C on a Mac) to copy it.';
  }
}

async function create(form) {
  const c = group;
  if (!c) return;
  const f = new FormData(form);
  const number = (name) => (String(f.get(name) ?? '').trim() ? Number(f.get(name)) : null);
  const days = number('days');
  showError($('group-error'), null);
  $('group-status').textContent = '';
  try {
    const { createInviteLink: link } = await gql(
      `mutation($c: ID!, $expiresAt: DateTime, $maxUses: Int) { createInviteLink(conversationId: $c, expiresAt: $expiresAt, maxUses: $maxUses) { ${INVITE_FIELDS} } }`,
      { c: c.id, maxUses: number('maxUses'), expiresAt: days == null ? null : new Date(Date.now() + days * DAY_MS).toISOString() },
    );
    if (group !== c) return;
    links = [link, ...links];
    form.reset();
    $('invite-status').textContent = 'Link created: share it with the people to invite.';
    renderLinks();
  } catch (err) {
    if (group === c) showError($('group-error'), err);
  }
}

async function revoke(link) {
  const c = group;
  showError($('group-error'), null);
  $('group-status').textContent = '';
  try {
    const { revokeInviteLink: revoked } = await gql(`mutation($id: ID!) { revokeInviteLink(id: $id) { ${INVITE_FIELDS} } }`, {
      id: link.id,
    });
    if (group !== c) return;
    links = links.map((l) => (l.id === revoked.id ? revoked : l));
    $('invite-status').textContent = 'Link revoked: it no longer lets anyone join.';
    renderLinks();
  } catch (err) {
    if (group === c) showError($('group-error'), err);
  }
}

$('invite-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void create(e.currentTarget);
});

// ---- joining with a link ----------------------------------------------------------------------------------------

const REFUSED = {
  INVITE_REVOKED: 'This invite link was revoked. Ask whoever shared it for a new one.',
  INVITE_EXPIRED: 'This invite link has expired. Ask whoever shared it for a new one.',
  INVITE_USED_UP: 'This invite link has been used as many times as it allows. Ask whoever shared it for a new one.',
};
const UNKNOWN = 'This invite link does not work here: check that it was copied whole and that you are signed in to the right tenant.';

/** Joins the group of the address's ?invite= code, if any, and opens it with `open(conversationId)`. */
export async function joinInviteInAddress(open) {
  const params = new URLSearchParams(location.search);
  const code = params.get('invite');
  if (code == null) return;
  try {
    const { joinByInvite: c } = await gql('mutation($code: String!) { joinByInvite(code: $code) { id } }', { code });
    open(c.id);
  } catch (err) {
    const message = REFUSED[err.extensions?.reason] ?? (err.code === 'NOT_FOUND' ? UNKNOWN : err.message);
    showError($('conversation-error'), new ApiError(message, err.code, err.extensions));
  } finally {
    // Done with the code: a reload or a shared address should not join again.
    params.delete('invite');
    const query = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
}
