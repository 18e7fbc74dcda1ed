// The connected node's proxy as it sees its upstreams (GET /v1/proxy/upstreams): requests per second per instance,
// ejections, open breakers, and how split routes shared out their recent requests. That is one node's own view, so the page asks the node it is connected to, and forgets
// the answer when it moves to another. Polled every 2 s while the page is visible; a node that keeps answering an
// empty list (its proxy is off, or nothing went through it yet) is asked every 30 s; one that refuses (404, 401,
// 403) is not asked again.

import { request } from './api.js';

const POLL_MS = 2000;
const IDLE_MS = 30000;
const EMPTY_BEFORE_IDLE = 3;
const TIMEOUT_MS = 3000;
const REFUSED = new Set([401, 403, 404]);

export class ProxyPoller {
  /** onUpstreams(services, splits): the connected node's answer, [] and [] when there is none (yet). */
  constructor({ onUpstreams }) {
    this.onUpstreams = onUpstreams;
    this.base = null;
    this.timer = null;
    this.busy = false;
    this.refused = false;
    this.empties = 0;
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) {
        this.schedule(0);
      }
    });
  }

  /** The page is live on the node at base: ask it, starting over when it is another node than before. */
  follow(base) {
    if (base === this.base) {
      return;
    }
    this.base = base;
    this.refused = false;
    this.empties = 0;
    this.onUpstreams([], []);
    this.schedule(0);
  }

  schedule(delayMs) {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.base && !this.refused) {
      this.timer = setTimeout(() => this.poll(), delayMs);
    }
  }

  async poll() {
    this.timer = null;
    // A hidden page asks nothing: becoming visible asks again.
    if (document.hidden || this.busy) {
      return;
    }
    const base = this.base;
    this.busy = true;
    let next = POLL_MS;
    try {
      const answer = await request(base, 'GET', '/v1/proxy/upstreams', TIMEOUT_MS);
      // An answer from a node the page has left since is not its view.
      if (base === this.base) {
        next = this.take(answer);
      }
    } catch (notAnswered) {
      // The connection notices a node that is gone and moves on; until then the page keeps the last picture.
    } finally {
      this.busy = false;
    }
    // A poll that came while this one was out found it busy: this one schedules the next (at once for a new node).
    if (!this.timer) {
      this.schedule(base === this.base ? next : 0);
    }
  }

  /** Hands the answer on; returns when to ask next. */
  take(answer) {
    if (REFUSED.has(answer.status)) {
      this.refused = true;
      this.onUpstreams([], []);
    } else if (answer.status === 200) {
      const services = answer.body?.services ?? [];
      this.empties = services.length === 0 ? this.empties + 1 : 0;
      this.onUpstreams(services, answer.body?.splits ?? []);
    }
    return this.empties >= EMPTY_BEFORE_IDLE ? IDLE_MS : POLL_MS;
  }
}
