// What the page's polls of the connected node share: ask one path of the node the page is live on, again after the
// delay the answer's taker names, only while the page is visible, never two at once; start over when the page moves
// to another node; stop for good on a refusal (401, 403, 404).

import { request } from './api.js';

const TIMEOUT_MS = 3000;
const REFUSED = new Set([401, 403, 404]);

export class NodePoller {
  /**
   * path: what to ask; take(answer): hands a 200 answer on and returns the milliseconds until the next poll;
   * reset(): the page has nothing from this node (it moved, or the node refused).
   */
  constructor({ path, take, reset, everyMs }) {
    this.path = path;
    this.take = take;
    this.reset = reset;
    this.everyMs = everyMs;
    this.base = null;
    this.timer = null;
    this.busy = false;
    this.refused = false;
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
    this.reset();
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
    let next = this.everyMs;
    try {
      const answer = await request(base, 'GET', this.path, TIMEOUT_MS);
      // An answer from a node the page has left since is not its view.
      if (base === this.base) {
        if (REFUSED.has(answer.status)) {
          this.refused = true;
          this.reset();
        } else if (answer.status === 200) {
          next = this.take(answer.body);
        }
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
}
