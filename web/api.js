// Requests to a node's REST API, with the token kept under 'cairn.token' in this browser's storage (entered in the
// page's token field) when the cluster takes tokens.

const TOKEN_KEY = 'cairn.token';

export function token() {
  return localStorage.getItem(TOKEN_KEY) || '';
}

/** Keeps (or, given an empty one, forgets) the token this browser sends. */
export function setToken(value) {
  if (value) {
    localStorage.setItem(TOKEN_KEY, value);
  } else {
    localStorage.removeItem(TOKEN_KEY);
  }
}

export function authHeaders() {
  return token() ? { Authorization: `Bearer ${token()}` } : {};
}

/** Resolves to { status, body, stale }; rejects on a network failure or after timeoutMs. */
export async function request(base, method, path, timeoutMs = 5000) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(base + path, { method, headers: authHeaders(), signal: abort.signal, cache: 'no-store' });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? parseJson(text) : null,
      stale: response.headers.get('X-Cairn-Stale') === 'true',
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * JSON with terms kept as text: after the cluster resets its Raft groups a term is about 7.7e18, beyond the
 * integers a JavaScript number holds exactly.
 */
export function parseJson(text) {
  return JSON.parse(text, (key, value, context) =>
    key === 'term' && typeof value === 'number' && context?.source ? context.source : value);
}

/** enable, disable or drain one instance. */
export function setRotation(base, id, action) {
  return request(base, 'POST', `/v1/services/${encodeURIComponent(id)}/${action}`);
}
