// The tenant's content filter, on the moderation page (Query.contentFilter): what happens to a matching text and the
// patterns, words or /regular expressions/. Moderators read it; admins add and remove patterns and change the action,
// each change saving the whole filter (setContentFilter, which takes the full list). The server refuses an unsafe or
// unreadable pattern, and says why.
import { $, h, time } from './dom.js';
import { gql } from './api.js';

/** What the page reads of the filter, in the same request as the reports and the log. */
export const FILTER_FIELDS = 'contentFilter { action patterns updatedAt updatedBy { name } }';
const SAVE = 'mutation($a: ContentFilterAction!, $p: [String!]!) { setContentFilter(action: $a, patterns: $p) { action patterns } }';

/** ContentFilterAction: what each does to a text that matches. */
const ACTIONS = {
  FLAG: 'Flag: keep the text, and report it to the moderators',
  MASK: 'Mask: store each match as asterisks',
  REJECT: 'Reject: refuse the text',
};

/** Draws the filter as the server has it (`filter`, null when none was saved) on the moderation page `page`. */
export function renderFilter(page, filter) {
  const admin = page.viewer.role === 'ADMIN';
  const action = filter?.action ?? 'FLAG';
  const patterns = filter?.patterns ?? [];
  // A pattern being typed survives the page being read again (after another action).
  const typed = $('filter-new')?.value ?? '';
  $('moderation-filter').replaceChildren(
    h('h3', { id: 'moderation-filter-heading' }, 'Content filter'),
    h(
      'p',
      { class: 'hint' },
      filter
        ? `Saved ${time(filter.updatedAt)}${filter.updatedBy ? ` by ${filter.updatedBy.name}` : ''}.`
        : 'No content filter yet: every text is kept as written.',
    ),
    admin ? actionMenu(page, action, patterns) : h('p', {}, ACTIONS[action]),
    h(
      'ul',
      { id: 'filter-patterns', class: 'filter-patterns', 'aria-label': 'Content filter patterns' },
      ...(patterns.length
        ? patterns.map((p) =>
            h(
              'li',
              { class: 'filter-pattern' },
              h('code', {}, p),
              admin
                ? h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      'aria-label': `Remove pattern ${p}`,
                      onclick: () =>
                        void save(
                          page,
                          action,
                          patterns.filter((q) => q !== p),
                          `Pattern ${p} removed.`,
                        ),
                    },
                    'Remove',
                  )
                : null,
            ),
          )
        : [h('li', { class: 'hint' }, 'No patterns.')]),
    ),
    admin ? addForm(page, action, patterns, typed) : null,
  );
}

function actionMenu(page, action, patterns) {
  return h(
    'p',
    { class: 'filter-action' },
    h('label', { for: 'filter-action' }, 'When a text matches'),
    h(
      'select',
      {
        id: 'filter-action',
        onchange: (e) => void save(page, e.currentTarget.value, patterns, 'Content filter action saved.'),
      },
      ...Object.entries(ACTIONS).map(([value, label]) => h('option', { value, selected: value === action }, label)),
    ),
  );
}

function addForm(page, action, patterns, typed) {
  const input = h('input', { id: 'filter-new', required: true, maxlength: '100', autocomplete: 'off', value: typed });
  return h(
    'form',
    {
      class: 'filter-add',
      onsubmit: (e) => {
        e.preventDefault();
        const pattern = input.value.trim();
        if (!pattern) return;
        // Emptied once saved, before the page is drawn again; a refused pattern stays in the box to be corrected.
        const saved = () => (input.value = '');
        void save(page, action, patterns.includes(pattern) ? patterns : [...patterns, pattern], `Pattern ${pattern} added.`, saved);
      },
    },
    h('label', { for: input.id }, 'New pattern (a word, or /a regular expression/)'),
    input,
    h('button', { type: 'submit' }, 'Add pattern'),
  );
}

/** Saves the whole filter (the API takes it whole); `saved()` runs when the server took it. */
const save = (page, action, patterns, done, saved = () => {}) =>
  page.act(async () => {
    await gql(SAVE, { a: action, p: patterns });
    saved();
  }, done);
