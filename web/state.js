// What the page knows of the cluster, kept up to date from the WebSocket's frames. No DOM here: the renderer
// reads this state and the sets of what changed since it last drew.

import { describe } from './describe.js';

export const TIMELINE_LIMIT = 200;

export function createState() {
  return {
    revision: null,          // the newest revision whose events this page has applied
    eventsOfRevision: 0,     // how many events of that revision arrived (a revision can carry several)
    leader: null,
    term: null,              // a string: terms exceed what a JavaScript number holds exactly
    services: new Map(),     // id -> instance
    nodes: new Map(),        // id -> node record as the log has it
    suspects: new Set(),     // node ids the connected node's /v1/nodes calls suspect (gone, failure not recorded yet)
    lagging: new Map(),      // node id -> why it is not current (a log it cannot write, behind the leader), per /v1/nodes
    timeline: [],            // newest first, at most TIMELINE_LIMIT
    // The connected node's proxy (/v1/proxy/upstreams): instance id -> its load and ejection, service -> breaker,
    // service -> its split routes (each side's select, weight and share of recent requests).
    proxy: { instances: new Map(), services: new Map(), splits: new Map() },
    changed: { services: new Set(), groups: new Set(), all: true, nodes: true, timeline: [] },
  };
}

/** A frame from /v1/ws. Returns false for frames that are not about the registry (goodbye is the connection's). */
export function applyFrame(state, frame) {
  switch (frame.type) {
    case 'snapshot':
      applySnapshot(state, frame);
      return true;
    case 'reset':
      addToTimeline(state, { revision: frame.revision, timestamp: Date.now(), severity: 'warn',
        text: `picture redrawn from a snapshot at revision ${frame.revision} (the stream could not resume exactly)` });
      return true;
    case 'progress':
      if (state.revision === null || frame.revision > state.revision) {
        state.revision = frame.revision;
        state.eventsOfRevision = 0;
      }
      return true;
    default:
      if (typeof frame.revision !== 'number') {
        return false;
      }
      applyEvent(state, frame);
      return true;
  }
}

function applySnapshot(state, snapshot) {
  state.services = new Map(snapshot.services.map((s) => [s.id, s]));
  state.nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
  state.leader = snapshot.leader ?? null;
  state.term = snapshot.term ?? null;
  state.revision = snapshot.revision;
  state.eventsOfRevision = 0;
  state.changed.all = true;
  state.changed.nodes = true;
  // The events before the snapshot that the page asked for when it opened (oldest first): timeline only, since
  // the snapshot already holds what they did.
  for (const event of snapshot.recent ?? []) {
    addToTimeline(state, describe(event));
  }
}

function applyEvent(state, event) {
  if (event.revision === state.revision) {
    state.eventsOfRevision++;
  } else {
    state.revision = event.revision;
    state.eventsOfRevision = 1;
  }
  if (event.service) {
    if (event.type === 'serviceDeregistered') {
      state.services.delete(event.service.id);
    } else {
      state.services.set(event.service.id, event.service);
    }
    state.changed.services.add(event.service.id);
    state.changed.nodes = true; // instance counts per node
  }
  if (event.node) {
    state.nodes.set(event.node.id, event.node);
    state.changed.nodes = true;
  }
  if (event.type === 'leaderElected') {
    state.leader = event.leader;
    state.term = event.term;
    state.changed.nodes = true;
  }
  addToTimeline(state, describe(event));
}

function addToTimeline(state, entry) {
  state.timeline.unshift(entry);
  state.changed.timeline.push(entry);
  if (state.timeline.length > TIMELINE_LIMIT) {
    state.timeline.length = TIMELINE_LIMIT;
  }
}

/**
 * Where a reconnected stream continues: after the last revision, or after the k-th event of it when the stream
 * may have been cut in the middle of a revision's events ("R:k", as the server's event ids say).
 */
export function resumePoint(state) {
  if (state.revision === null) {
    return null;
  }
  return state.eventsOfRevision > 0 ? `${state.revision}:${state.eventsOfRevision - 1}` : `${state.revision}`;
}

/** The counts /v1/topology gives, computed from the same instances. */
export function counts(state) {
  const byStatus = { healthy: 0, degraded: 0, unhealthy: 0, unknown: 0 };
  const byRegion = new Map();
  const byZone = new Map();
  const byNode = new Map();
  let passing = 0;
  for (const s of state.services.values()) {
    byStatus[s.health] = (byStatus[s.health] ?? 0) + 1;
    byRegion.set(s.region ?? 'none', (byRegion.get(s.region ?? 'none') ?? 0) + 1);
    byZone.set(s.zone ?? 'none', (byZone.get(s.zone ?? 'none') ?? 0) + 1);
    byNode.set(s.node, (byNode.get(s.node) ?? 0) + 1);
    if (isPassing(s)) {
      passing++;
    }
  }
  return { total: state.services.size, passing, byStatus, byRegion, byZone, byNode };
}

export function isPassing(s) {
  return (s.health === 'healthy' || s.health === 'degraded') && s.enabled !== false && !s.draining;
}

/** A node's state as shown: what the log says, or suspect when the connected node no longer sees its process. */
export function nodeState(state, node) {
  return node.status === 'alive' && state.suspects.has(node.id) ? 'suspect' : node.status;
}

/**
 * The services and splits of a /v1/proxy/upstreams answer (this node's proxy). Marks the instances and services
 * whose figures changed; returns whether any did.
 */
export function applyUpstreams(state, services, splits = []) {
  const instances = new Map();
  const byService = new Map();
  for (const s of services) {
    byService.set(s.service, { breakerOpen: s.breakerOpen === true, ejected: s.ejected ?? 0 });
    for (const i of s.instances ?? []) {
      instances.set(i.id, {
        requestsPerSecond: i.requestsPerSecond ?? 0, inFlight: i.inFlight ?? 0,
        recentErrorRate: i.recentErrorRate ?? 0, ejected: i.ejected === true, ejectedUntil: i.ejectedUntil ?? null,
      });
    }
  }
  const splitsByService = new Map();
  for (const split of splits) {
    splitsByService.set(split.service, [...(splitsByService.get(split.service) ?? []), split]);
  }
  const before = state.proxy;
  let changed = false;
  for (const id of new Set([...before.instances.keys(), ...instances.keys()])) {
    if (!sameFigures(before.instances.get(id), instances.get(id))) {
      state.changed.services.add(id);
      changed = true;
    }
  }
  for (const name of new Set([...before.services.keys(), ...byService.keys(), ...before.splits.keys(),
    ...splitsByService.keys()])) {
    if (!sameFigures(before.services.get(name), byService.get(name))
      || JSON.stringify(before.splits.get(name)) !== JSON.stringify(splitsByService.get(name))) {
      state.changed.groups.add(name);
      changed = true;
    }
  }
  state.proxy = { instances, services: byService, splits: splitsByService };
  return changed;
}

function sameFigures(a, b) {
  if (!a || !b) {
    return a === b;
  }
  return Object.keys(a).every((k) => a[k] === b[k]);
}

export function takeChanges(state) {
  const changed = state.changed;
  state.changed = { services: new Set(), groups: new Set(), all: false, nodes: false, timeline: [] };
  return changed;
}
