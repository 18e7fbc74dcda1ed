// Requests to a node's REST API. Access control is not there yet; when it arrives, the page sends the token kept
// under 'cairn.token' in this browser's storage, and every request already goes through here.

export function authHeaders() {
  const token = localStorage.getItem('cairn.token');
  return token ? { Authorization: `Bearer ${token}` } : {};
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
