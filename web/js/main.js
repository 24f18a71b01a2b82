// Start-up, sign up / sign in, and the signed-in shell (header, connection state, Privacy, Moderation for the tenant's
// moderators and admins, sign out).
import { $, h, showError } from './dom.js';
import { ApiError, connect, disconnect, gql, onConnectionState, session, setUnauthenticatedHandler } from './api.js';
import { startConversations, stopConversations } from './conversations.js';
import { startAssistant, stopAssistant } from './assistant.js';
import { startModeration, stopModeration } from './moderation-view.js';
import { startPrivacy, stopPrivacy } from './privacy-settings.js';

// The tenant role decides whether Moderation shows; it is read again at each sign-in and reload.
const USER_FIELDS = 'id name email username role';
const AUTH_FIELDS = `token user { ${USER_FIELDS} }`;

function showTenant() {
  $('tenant-name').textContent = session.tenant;
  $('tenant').value = session.tenant;
  $('known-tenants').replaceChildren(...session.knownTenants().map((t) => h('option', { value: t })));
}

function showAuth(message = '') {
  stopConversations();
  stopAssistant();
  stopModeration();
  stopPrivacy();
  disconnect();
  $('app-view').hidden = true;
  $('account').hidden = true;
  $('auth-view').hidden = false;
  showTenant();
  showError($('auth-error'), message ? new Error(message) : null);
  document.title = 'Parley: sign in';
}

function enterApp(me) {
  $('auth-view').hidden = true;
  $('app-view').hidden = false;
  $('account').hidden = false;
  $('me-name').textContent = me.name;
  showTenant();
  document.title = `Parley: ${me.name}`;
  connect();
  startConversations(me);
  startAssistant(me);
  startModeration(me);
  startPrivacy();
}

const tenantInput = () => {
  const tenant = $('tenant').value.trim();
  if (!tenant) throw new ApiError('Enter a tenant id (for example "default").', 'BAD_USER_INPUT');
  return tenant;
};

async function authenticate(form, mutation, input) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  showError($('auth-error'), null);
  try {
    const tenant = tenantInput();
    session.tenant = tenant;
    session.token = null;
    const data = await gql(
      `mutation($input: ${mutation === 'signUp' ? 'SignUpInput' : 'SignInInput'}!) { ${mutation}(input: $input) { ${AUTH_FIELDS} } }`,
      { input },
    );
    const { token, user } = data[mutation];
    session.save(tenant, token);
    form.reset();
    enterApp(user);
  } catch (err) {
    showError($('auth-error'), err);
  } finally {
    button.disabled = false;
  }
}

$('sign-up').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = new FormData(e.currentTarget);
  const username = String(f.get('username') ?? '').trim();
  void authenticate(e.currentTarget, 'signUp', {
    name: f.get('name'),
    email: f.get('email'),
    password: f.get('password'),
    ...(username ? { username } : {}),
  });
});

$('sign-in').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = new FormData(e.currentTarget);
  const login = String(f.get('email')).trim();
  void authenticate(e.currentTarget, 'signIn', {
    ...(login.includes('@') ? { email: login } : { username: login }),
    password: f.get('password'),
    rememberMe: f.get('rememberMe') === 'on',
  });
});

$('tenant-form').addEventListener('submit', (e) => e.preventDefault());
$('tenant').addEventListener('change', () => {
  const tenant = $('tenant').value.trim();
  if (tenant) $('tenant-name').textContent = tenant;
});

$('sign-out').addEventListener('click', async () => {
  try {
    await gql('mutation { signOut }');
  } catch {
    // Signed out locally either way.
  }
  session.save(session.tenant, null);
  showAuth();
});

setUnauthenticatedHandler(() => {
  session.save(session.tenant, null);
  showAuth('Your session ended. Please sign in again.');
});

const STATES = { connecting: 'Connecting…', live: 'Live', offline: 'Offline, reconnecting…' };
onConnectionState((state) => {
  const el = $('connection');
  el.dataset.state = state;
  el.textContent = STATES[state];
});

async function boot() {
  session.load();
  if (!session.token) return showAuth();
  try {
    const { me } = await gql(`{ me { ${USER_FIELDS} } }`);
    if (me) enterApp(me);
    else {
      session.save(session.tenant, null);
      showAuth('Your session ended. Please sign in again.');
    }
  } catch (err) {
    showAuth(err.message);
  }
}

void boot();
