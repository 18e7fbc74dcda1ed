// The connected node's proxy as it sees its upstreams (GET /v1/proxy/upstreams): requests per second per instance,
// ejections, open breakers, and how split routes shared out their recent requests. That is one node's own view, so
// the page asks the node it is connected to, and forgets the answer when it moves to another. Polled every 2 s while
// the page is visible; a node that keeps answering an empty list (its proxy is off, or nothing went through it yet)
// is asked every 30 s; one that refuses (404, 401, 403) is not asked again.

import { NodePoller } from './poller.js';

const POLL_MS = 2000;
const IDLE_MS = 30000;
const EMPTY_BEFORE_IDLE = 3;

export class ProxyPoller extends NodePoller {
  /** onUpstreams(services, splits): the connected node's answer, [] and [] when there is none (yet). */
  constructor({ onUpstreams }) {
    let empties = 0;
    super({
      path: '/v1/proxy/upstreams',
      everyMs: POLL_MS,
      reset: () => {
        empties = 0;
        onUpstreams([], []);
      },
      take: (body) => {
        const services = body?.services ?? [];
        empties = services.length === 0 ? empties + 1 : 0;
        onUpstreams(services, body?.splits ?? []);
        return empties >= EMPTY_BEFORE_IDLE ? IDLE_MS : POLL_MS;
      },
    });
  }
}
