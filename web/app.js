// The topology page: state from the cluster's WebSocket stream, drawn once per animation frame.

import { request, setRotation, setToken, token } from './api.js';
import { ClusterConnection } from './connection.js';
import { BridgesPoller } from './bridges.js';
import { ProxyPoller } from './proxy.js';
import { Renderer, nodeBaseUrl } from './render.js';
import { applyFrame, applyUpstreams, createState, nodeState, resumePoint, takeChanges } from './state.js';

const state = createState();
const renderer = new Renderer(state);
const pending = [];
let drawScheduled = false;

/** Frames wait here until the next frame is drawn: a burst of 500 events a second costs one redraw per frame. */
function enqueue(frame) {
  pending.push(frame);
  scheduleDraw();
}

function scheduleDraw() {
  if (drawScheduled) {
    return;
  }
  drawScheduled = true;
  // A hidden tab gets no animation frames; it still applies what arrives, so that memory stays bounded.
  if (document.hidden) {
    setTimeout(draw, 250);
  } else {
    requestAnimationFrame(draw);
  }
}

/** How long the last draws took (ms), newest last: what a burst costs the page, for the curious and the tests. */
const drawMillis = [];

function draw() {
  const started = performance.now();
  drawScheduled = false;
  for (const frame of pending.splice(0)) {
    applyFrame(state, frame);
  }
  renderer.draw(takeChanges(state));
  drawMillis.push(performance.now() - started);
  if (drawMillis.length > 1000) {
    drawMillis.splice(0, drawMillis.length - 1000);
  }
}

// Requests per second, ejections, breakers and splits of the connected node's proxy.
const proxy = new ProxyPoller({
  onUpstreams: (services, splits) => {
    if (applyUpstreams(state, services, splits)) {
      scheduleDraw();
    }
  },
});

// The bridges to etcd and Redis, as the connected node last heard of them.
const bridges = new BridgesPoller(document.getElementById('bridges'));

const connection = new ClusterConnection({
  home: location.origin,
  candidates: () => [...state.nodes.values()]
    .filter((n) => nodeState(state, n) === 'alive')
    .map(nodeBaseUrl),
  resumePoint: () => {
    // Frames still queued count as seen: apply them before asking where to resume.
    if (pending.length > 0) {
      draw();
    }
    return resumePoint(state);
  },
  onFrame: enqueue,
  onStatus: (status, base) => {
    renderer.connection(status, base, state.revision);
    if (status === 'live') {
      proxy.follow(base);
      bridges.follow(base);
    }
  },
  onNodes: (answer) => {
    state.suspects = new Set(answer.nodes.filter((n) => n.status === 'suspect').map((n) => n.id));
    state.lagging = new Map(answer.nodes.filter((n) => n.lagging).map((n) => [n.id, n.problem]));
    state.changed.nodes = true;
    scheduleDraw();
  },
});

document.getElementById('filter').addEventListener('input', (e) => renderer.setFilter(e.target.value));

// A new token (or none) starts the page over with it: the stream, the polls and the actions all send it.
const tokenField = document.getElementById('token');
tokenField.value = token();
document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken(tokenField.value.trim());
  location.reload();
});

document.getElementById('services').addEventListener('click', (e) => {
  const li = e.target.closest('[data-instance-id]');
  if (li) {
    renderer.select(li.dataset.instanceId);
  }
});
document.getElementById('services').addEventListener('keydown', (e) => {
  const li = e.target.closest('[data-instance-id]');
  if (li && (e.key === 'Enter' || e.key === ' ')) {
    e.preventDefault();
    renderer.select(li.dataset.instanceId);
  }
});

const QUESTIONS = {
  enable: (id) => `Put ${id} back in rotation? Discovery returns it again on every node.`,
  disable: (id) => `Disable ${id}? It stays registered, but discovery stops returning it on every node.`,
  drain: (id) => `Drain ${id}? Discovery stops returning it until it deregisters or registers again.`,
};

document.getElementById('details').addEventListener('click', async (e) => {
  const button = e.target.closest('button');
  if (!button) {
    return;
  }
  if (button.classList.contains('close')) {
    renderer.select(null);
    return;
  }
  const action = button.dataset.action;
  const id = renderer.selected;
  if (!action || !id || !(await confirmAction(QUESTIONS[action](id)))) {
    return;
  }
  const result = document.getElementById('action-result');
  result.textContent = `${action}: sending…`;
  try {
    let answer = await setRotation(connection.base, id, action);
    if (answer.status === 503 && answer.body?.retryAt) {
      // The node is leaving and names another one.
      answer = await setRotation(answer.body.retryAt, id, action);
    }
    result.textContent = answer.status === 200
      ? `${id}: ${action} done (revision ${answer.body.revision})`
      : `${id}: ${action} refused: ${answer.body?.message ?? answer.status}`;
    result.dataset.outcome = answer.status === 200 ? 'ok' : 'error';
  } catch (failure) {
    result.textContent = `${id}: ${action} failed: the node did not answer (${failure.message}); try again`;
    result.dataset.outcome = 'error';
  }
});

/** Resolves to true when the operator confirms. */
function confirmAction(question) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = question;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

// Ages in the details panel ("12s ago") move on even when nothing changes.
setInterval(() => {
  if (renderer.selected) {
    renderer.drawDetails();
  }
}, 5000);

connection.start();
// For tests and the curious: the page's state, read-only by convention.
window.cairn = { state, connection, proxy, request, drawMillis };
