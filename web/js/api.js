// Parley's public API, as any customer app uses it: GraphQL over HTTP (fetch) for queries and mutations, graphql-ws
// for subscriptions, the tenant in X-Client-ID / connectionParams.clientId and the session token as a Bearer token.
import { createClient } from '/vendor/graphql-ws/client.js';

const TENANT_KEY = 'parley.tenant';
const SESSION_KEY = 'parley.session';

// The session lives in sessionStorage: each browser tab or window is its own signed-in user (handy for trying two
// users side by side) and survives a reload. The tenant choice is remembered for every tab.
export const session = {
  tenant: new URLSearchParams(location.search).get('tenant') || localStorage.getItem(TENANT_KEY) || 'default',
  token: null,
  load() {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (saved?.token) Object.assign(this, { tenant: saved.tenant, token: saved.token });
  },
  save(tenant, token) {
    Object.assign(this, { tenant, token });
    localStorage.setItem(TENANT_KEY, tenant);
    const known = new Set(JSON.parse(localStorage.getItem('parley.tenants') || '["default"]'));
    known.add(tenant);
    localStorage.setItem('parley.tenants', JSON.stringify([...known]));
    if (token) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ tenant, token }));
    else sessionStorage.removeItem(SESSION_KEY);
  },
  knownTenants: () => JSON.parse(localStorage.getItem('parley.tenants') || '["default"]'),
};

/** An error from the API (or the network) with a readable message and, when the API gave one, its code. */
export class ApiError extends Error {
  constructor(message, code = 'NETWORK_ERROR', extensions = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
  }
}

const FRIENDLY = {
  NETWORK_ERROR: 'Cannot reach the Parley server. Check that it is running, then try again.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on the server. Please try again.',
  TENANT_NOT_FOUND: 'This tenant does not exist or is disabled: check the tenant id.',
};

export function toApiError(errors) {
  const first = errors[0] ?? {};
  const ext = first.extensions ?? {};
  const code = ext.code ?? 'INTERNAL_SERVER_ERROR';
  let message = FRIENDLY[code] ?? (first.message || 'Request failed.');
  if (code === 'RATE_LIMITED' && ext.retryAfter) message += ` Try again in ${ext.retryAfter} s.`;
  return new ApiError(message, code, ext);
}

let onUnauthenticated = () => {};
/** Called when the API says the session is no longer valid (signed out elsewhere, expired, revoked). */
export const setUnauthenticatedHandler = (fn) => (onUnauthenticated = fn);

function headers() {
  return {
    'x-client-id': session.tenant,
    ...(session.token ? { authorization: `Bearer ${session.token}` } : {}),
  };
}

/** Runs a query or mutation over HTTP; resolves with `data`, rejects with an ApiError. */
export const gql = (query, variables = {}) =>
  post({ headers: { 'content-type': 'application/json', ...headers() }, body: JSON.stringify({ query, variables }) });

/**
 * Runs a mutation taking one file as `$file` (uploadAttachment) as a GraphQL multipart request: the operation, the
 * map of the file to its variable, and the file. The browser writes the multipart Content-Type with its boundary.
 */
export function gqlUpload(query, file, signal) {
  const body = new FormData();
  body.append('operations', JSON.stringify({ query, variables: { file: null } }));
  body.append('map', JSON.stringify({ 0: ['variables.file'] }));
  body.append('0', file, file.name);
  return post({ headers: headers(), body, signal });
}

async function post({ headers, body, signal }) {
  let res;
  try {
    res = await fetch('/graphql', { method: 'POST', headers, body, signal });
  } catch {
    throw new ApiError(FRIENDLY.NETWORK_ERROR);
  }
  let result;
  try {
    result = await res.json();
  } catch {
    throw new ApiError(`The server answered ${res.status} without a GraphQL result.`, 'BAD_RESPONSE');
  }
  if (result.errors?.length) {
    const err = toApiError(result.errors);
    if (err.code === 'UNAUTHENTICATED' && session.token) onUnauthenticated();
    throw err;
  }
  return result.data;
}

// ---- WebSocket --------------------------------------------------------------------------------------------------

let client = null;
let failures = 0;
let everConnected = false;
const statusListeners = new Set();
const reconnectListeners = new Set();

/** fn(state): 'connecting' | 'live' | 'offline'. */
export const onConnectionState = (fn) => statusListeners.add(fn);
/** fn() after the socket came back: refetch what may have changed while it was down. */
export const onReconnected = (fn) => reconnectListeners.add(fn);
const setState = (state) => statusListeners.forEach((fn) => fn(state));

/**
 * Opens the WebSocket client for the current session. Reconnection is done here, not by graphql-ws, so that every
 * subscription resubscribes with fresh variables (afterSequence, afterIndex) instead of its first ones.
 */
export function connect() {
  disconnect();
  failures = 0;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  let socket = null;
  let pongTimer;
  const mine = createClient({
    url,
    lazy: true,
    retryAttempts: 0,
    // A connection that died silently (sleep, network change) answers no ping: close it, and everything resubscribes.
    keepAlive: 10_000,
    connectionParams: () => ({ clientId: session.tenant, ...(session.token ? { authorization: `Bearer ${session.token}` } : {}) }),
    on: {
      opened: (s) => (socket = s),
      ping: (received) => {
        if (received) return;
        pongTimer = setTimeout(() => socket?.readyState === WebSocket.OPEN && socket.close(4408, 'No pong'), 5_000);
      },
      pong: (received) => received && clearTimeout(pongTimer),
      connecting: () => client === mine && setState('connecting'),
      connected: () => {
        if (client !== mine) return;
        failures = 0;
        setState('live');
        if (everConnected) reconnectListeners.forEach((fn) => fn());
        everConnected = true;
      },
      closed: () => {
        clearTimeout(pongTimer);
        if (client !== mine) return; // an old client closing after sign-out or a new connect()
        failures++;
        setState('offline');
      },
    },
  });
  client = mine;
}

export function disconnect() {
  everConnected = false;
  const old = client;
  client = null;
  void old?.dispose();
}

// Every subscription retries on its own timer; the delay grows with consecutive failed connections, not retries.
const retryDelay = () => Math.min(250 * 2 ** failures, 8_000) + Math.random() * 250;
const isSocketFailure = (err) => !Array.isArray(err) && !(err instanceof ApiError);

/**
 * A subscription that survives reconnects. `operation()` is called for every (re)subscription and returns
 * { query, variables }, or null to give up (e.g. nothing to resume). `next(data)` gets each event; `error(ApiError)`
 * GraphQL errors (not retried); `complete()` the server's end of the stream. Returns a stop function.
 */
export function live({ operation, next, error = () => {}, complete = () => {} }) {
  let stopped = false;
  let dispose = null;
  let timer = null;
  const start = () => {
    if (stopped || !client) return;
    const op = operation();
    if (!op) return;
    dispose = client.subscribe(op, {
      next: (result) => {
        if (result.errors?.length) error(toApiError(result.errors));
        else if (result.data) next(result.data);
      },
      error: (err) => {
        dispose = null;
        if (stopped) return;
        if (!isSocketFailure(err)) return error(toApiError(Array.isArray(err) ? err : [err]));
        if (err?.code === 4403) void checkSession();
        timer = setTimeout(start, retryDelay());
      },
      complete: () => {
        dispose = null;
        if (!stopped) complete();
      },
    });
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    dispose?.();
  };
}

// The socket was refused or closed with 4403: the session may have ended. Ask over HTTP to be sure.
async function checkSession() {
  try {
    const data = await gql('{ me { id } }');
    if (!data.me) onUnauthenticated();
  } catch {
    // Offline: the next reconnect will tell.
  }
}
