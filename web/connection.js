// The page's live link to the cluster: one WebSocket on /v1/ws to one node. When that node goes away (its socket
// closes, it says goodbye, or it stops answering), the page moves to another node of the cluster and resumes from
// the last revision it saw, so nothing is missed and nothing repeated. Meanwhile it says "reconnecting".

import { parseJson, request, token } from './api.js';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
const POLL_MS = 2000;
const POLL_TIMEOUT_MS = 3000;
/** Polls in a row that fail (or find the node cut off from its majority) before the page moves on. */
const POLL_FAILURES_BEFORE_MOVING = 2;
/** Nodes send at least a progress frame every 10 s: this much silence means a node that cannot say it is gone. */
const SILENCE_MS = 30000;
/** Events of the node's history a newly opened page shows in its timeline. */
const RECENT_EVENTS = 50;

export class ClusterConnection {
  /**
   * home: the node the page came from; candidates(): base URLs of the nodes alive now; resumePoint(): where a new
   * stream continues (null for a snapshot); onFrame(frame); onStatus(state, base); onNodes(/v1/nodes answer).
   */
  constructor({ home, candidates, resumePoint, onFrame, onStatus, onNodes }) {
    Object.assign(this, { home, candidates, resumePoint, onFrame, onStatus, onNodes });
    this.base = home;
    this.socket = null;
    this.hint = null;
    this.attempt = 0;
    this.pollFailures = 0;
    this.staleCount = 0;
    this.everLive = false;
  }

  start() {
    this.connect(this.home);
    setInterval(() => this.poll(), POLL_MS);
  }

  connect(base) {
    this.base = base;
    this.status(this.everLive ? 'reconnecting' : 'connecting');
    const since = this.resumePoint();
    // A page that has seen nothing yet starts from a snapshot, with the events that led to it for its timeline.
    let query = since ? `?since=${encodeURIComponent(since)}` : `?recent=${RECENT_EVENTS}`;
    // A browser's WebSocket cannot send an Authorization header: the token travels as a query parameter.
    if (token()) {
      query += `&token=${encodeURIComponent(token())}`;
    }
    const url = base.replace(/^http/, 'ws') + '/v1/ws' + query;
    const socket = new WebSocket(url);
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      if (socket !== this.socket) {
        return;
      }
      this.attempt = 0;
      this.pollFailures = 0;
      this.staleCount = 0;
      this.everLive = true;
      this.heardAt = Date.now();
      this.status('live');
      // The members' liveness at once, not a poll interval after the picture.
      this.poll();
    };
    socket.onmessage = (message) => {
      if (socket !== this.socket) {
        return;
      }
      this.heardAt = Date.now();
      const frame = parseJson(message.data);
      if (frame.type === 'goodbye') {
        // The node is shutting down and names another: go there at once.
        this.hint = frame.reconnect || null;
        return;
      }
      this.onFrame(frame);
    };
    socket.onclose = () => {
      if (socket !== this.socket) {
        return;
      }
      if (opened) {
        this.moveOn();
        return;
      }
      // Refused before it opened: a browser does not say why, so ask the node whether it wants a (better) token.
      request(base, 'GET', '/v1/status', POLL_TIMEOUT_MS).then((answer) => {
        if (socket !== this.socket) {
          return;
        }
        if (answer.status === 401 || answer.status === 403) {
          this.socket = null;
          this.status(answer.status === 401 ? 'unauthenticated' : 'forbidden');
          setTimeout(() => this.connect(base), RETRY_MAX_MS);
        } else {
          this.moveOn();
        }
      }, () => socket === this.socket && this.moveOn());
    };
  }

  /** Drops the current node and tries the next one: the goodbye hint first, then every other node, this one last. */
  moveOn() {
    const left = this.base;
    const current = this.socket;
    this.socket = null;
    if (current && current.readyState <= WebSocket.OPEN) {
      current.close();
    }
    this.status('reconnecting');
    const order = [...new Set([this.hint, ...this.candidates().filter((b) => b !== left), this.home, left]
      .filter(Boolean))];
    this.hint = null;
    const next = order[this.attempt % order.length];
    const round = Math.floor(this.attempt / order.length);
    const delay = this.attempt === 0 ? 0 : Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** round);
    this.attempt++;
    setTimeout(() => this.connect(next), delay);
  }

  /**
   * Asks the connected node for its view of the members every POLL_MS: suspects for the page, and a check that the
   * node still answers and still has its majority (a node cut off serves a picture that may be stale).
   */
  async poll() {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return;
    }
    if (Date.now() - this.heardAt > SILENCE_MS) {
      this.moveOn();
      return;
    }
    try {
      const answer = await request(this.base, 'GET', '/v1/nodes', POLL_TIMEOUT_MS);
      if (socket !== this.socket) {
        return;
      }
      this.pollFailures = 0;
      if (answer.status === 200) {
        this.onNodes(answer.body);
      }
      this.staleCount = answer.stale ? this.staleCount + 1 : 0;
      if (answer.stale) {
        this.status('stale');
        if (this.staleCount >= POLL_FAILURES_BEFORE_MOVING && this.candidates().some((b) => b !== this.base)) {
          this.moveOn();
        }
      } else if (answer.status === 200) {
        this.status('live');
      }
    } catch (failure) {
      // Only silence counts: a node that is down closes the socket by itself, and a refused cross-origin read
      // (a page opened under a name the nodes do not advertise) says nothing about the node.
      if (failure.name === 'AbortError' && socket === this.socket
          && ++this.pollFailures >= POLL_FAILURES_BEFORE_MOVING) {
        this.moveOn();
      }
    }
  }

  status(state) {
    this.onStatus(state, this.base);
  }
}
