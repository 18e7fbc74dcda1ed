// The bridges to etcd and Redis (GET /v1/bridges): where each runs, whether its server answers, how far behind it is.
// Every node shows every bridge (the runner publishes its status to all), so the page asks the node it is connected
// to, every 5 s while visible; a node with no bridges configured is asked every 60 s, one that refuses (401, 403,
// 404) not again.

import { NodePoller } from './poller.js';

const POLL_MS = 5000;
const IDLE_MS = 60000;

/** The state a bridge chip shows: running and connected, running but its server does not answer, or running nowhere. */
export function bridgeState(b) {
  if (!b.running) {
    return 'stopped';
  }
  return b.connected ? 'connected' : 'disconnected';
}

/** One line about a bridge: "to-etcd (etcd-export) on n1: connected, lag 0 revisions (0.0 s), 2 errors". */
export function describeBridge(b) {
  const where = b.running ? `on ${b.node}` : `running nowhere${b.lastRanOn ? ` (last on ${b.lastRanOn})` : ''}`;
  const parts = [];
  if (b.running) {
    parts.push(b.connected ? 'connected' : 'disconnected');
    parts.push(`lag ${b.lagRevisions ?? 0} revisions (${(b.lagSeconds ?? 0).toFixed(1)} s)`);
  }
  if (b.errors) {
    parts.push(`${b.errors} error${b.errors === 1 ? '' : 's'}${b.lastError ? `, last: ${b.lastError}` : ''}`);
  }
  return `${b.id} (${b.type}) ${where}${parts.length ? ': ' + parts.join(', ') : ''}`;
}

export class BridgesPoller extends NodePoller {
  constructor(element) {
    const show = (bridges) => {
      element.hidden = bridges.length === 0;
      element.replaceChildren(...bridges.map((b) => {
        const li = document.createElement('li');
        li.className = 'bridge';
        li.dataset.state = bridgeState(b);
        li.dataset.bridge = b.id;
        li.textContent = describeBridge(b);
        li.title = b.target;
        return li;
      }));
    };
    super({
      path: '/v1/bridges',
      everyMs: POLL_MS,
      reset: () => show([]),
      take: (body) => {
        const bridges = body?.bridges ?? [];
        show(bridges);
        return bridges.length === 0 ? IDLE_MS : POLL_MS;
      },
    });
  }
}
