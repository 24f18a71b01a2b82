// AI budgets, on the moderation page for the tenant's admins only (Query.chatBudgets): the token budgets in force, a
// daily one per user and a monthly one for the organisation, each the organisation's own or the server's default;
// what was spent this month and by whom; and a form setting both (setChatBudgets: null puts the server's default
// back, 0 is unlimited). The server checks them before every answer and refuses what it does not take, in words.
import { $, h } from './dom.js';
import { gql } from './api.js';

/** What the page reads of the budgets, in the same request as the rest of the page (admins only). */
export const BUDGET_FIELDS = `chatBudgets { userDailyTokens userDailyTokensSet tenantMonthlyTokens tenantMonthlyTokensSet
  usedThisMonth users(first: 10) { user { id name } tokensToday tokensThisMonth } }`;
const SET = `mutation($d: Int, $m: Int) { setChatBudgets(userDailyTokens: $d, tenantMonthlyTokens: $m) {
  userDailyTokens tenantMonthlyTokens } }`;

/** The two budgets: the field each is read from, and the words the page uses for it. */
const BUDGETS = [
  {
    key: 'userDailyTokens',
    id: 'budget-daily',
    label: 'Daily, per user',
    choose: 'Daily budget per user',
    limit: 'Tokens per user per day',
  },
  {
    key: 'tenantMonthlyTokens',
    id: 'budget-monthly',
    label: 'Monthly, for the organisation',
    choose: 'Monthly budget for the organisation',
    limit: 'Tokens per month',
  },
];
/** The form's choices for a budget, as setChatBudgets takes them. */
const CHOICES = { default: 'Server default', unlimited: 'Unlimited', limit: 'A limit' };

const tokens = (n) => `${n.toLocaleString()} tokens`;
const inForce = (n, own) => `${n == null ? 'unlimited' : tokens(n)} (${own ? 'this organisation’s own' : 'the server’s default'})`;

/** Draws the section from `budgets` (Query.chatBudgets) on the moderation page `page`. */
export function renderBudgets(page, budgets) {
  const section = $('moderation-budgets');
  section.hidden = false;
  section.replaceChildren(
    h('h3', { id: 'moderation-budgets-heading' }, 'AI budgets'),
    h(
      'dl',
      { class: 'budgets' },
      ...BUDGETS.flatMap((b) => [h('dt', {}, b.label), h('dd', {}, inForce(budgets[b.key], budgets[`${b.key}Set`]))]),
      h('dt', {}, 'Used this month'),
      h(
        'dd',
        {},
        tokens(budgets.usedThisMonth),
        budgets.tenantMonthlyTokens == null ? '' : ` of ${budgets.tenantMonthlyTokens.toLocaleString()}`,
      ),
    ),
    usersTable(budgets.users),
    budgetForm(page, budgets),
  );
}

/** Hides and empties the section (not an admin, or signed out). */
export function clearBudgets() {
  $('moderation-budgets').hidden = true;
  $('moderation-budgets').replaceChildren();
}

function usersTable(users) {
  if (!users.length) return h('p', { class: 'hint' }, 'Nobody has used the assistant this month.');
  return h(
    'table',
    { class: 'budget-users' },
    h('caption', {}, 'Who spent most this month'),
    h('thead', {}, h('tr', {}, ...['Person', 'Today', 'This month'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...users.map((u) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, u.user ? u.user.name : h('em', {}, 'A deleted account')),
          h('td', {}, u.tokensToday.toLocaleString()),
          h('td', {}, u.tokensThisMonth.toLocaleString()),
        ),
      ),
    ),
  );
}

/** One budget's fields: a choice of default, unlimited or a limit, and the limit (typed only when chosen). */
function budgetFields(b, budgets) {
  const value = budgets[b.key];
  const chosen = !budgets[`${b.key}Set`] ? 'default' : value == null ? 'unlimited' : 'limit';
  const amount = h('input', {
    id: b.id,
    type: 'number',
    min: '1',
    step: '1',
    required: true,
    disabled: chosen !== 'limit',
    value: value ?? '',
  });
  const choice = h(
    'select',
    { id: `${b.id}-choice`, onchange: () => (amount.disabled = choice.value !== 'limit') },
    ...Object.entries(CHOICES).map(([v, label]) => h('option', { value: v, selected: v === chosen }, label)),
  );
  const fieldset = h(
    'div',
    { class: 'budget-fields' },
    h('label', { for: choice.id }, b.choose),
    choice,
    h('label', { for: amount.id }, b.limit),
    amount,
  );
  // What setChatBudgets takes: null for the server's default, 0 for unlimited, else the limit.
  const read = () => (choice.value === 'default' ? null : choice.value === 'unlimited' ? 0 : Number(amount.value));
  return { fieldset, read };
}

function budgetForm(page, budgets) {
  const [daily, monthly] = BUDGETS.map((b) => budgetFields(b, budgets));
  return h(
    'form',
    {
      class: 'budget-form',
      onsubmit: (e) => {
        e.preventDefault();
        const variables = { d: daily.read(), m: monthly.read() };
        void page.act(() => gql(SET, variables), 'AI budgets saved.');
      },
    },
    daily.fieldset,
    monthly.fieldset,
    h('button', { type: 'submit' }, 'Save AI budgets'),
  );
}
