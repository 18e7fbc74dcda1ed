// Draws the state into the page. Called at most once per animation frame with what changed since the last call,
// so that a burst of events costs one redraw of the instances they touched, not one per event.

import { sideLines, splitMark } from './split.js';
import { counts, isPassing, nodeState, TIMELINE_LIMIT } from './state.js';

const $ = (id) => document.getElementById(id);

export function nodeBaseUrl(node) {
  // The nodes of a cluster all serve TLS or none: the page's own scheme is theirs.
  const scheme = typeof location !== 'undefined' && location.protocol === 'https:' ? 'https' : 'http';
  return `${scheme}://${node.host.includes(':') ? '[' + node.host + ']' : node.host}:${node.httpPort}`;
}

export class Renderer {
  constructor(state) {
    this.state = state;
    this.groups = new Map();     // service name -> { section, list, count }
    this.instances = new Map();  // instance id -> li
    this.filter = '';
    this.selected = null;
    this.connectedBase = null;
  }

  draw(changed) {
    this.dirtyGroups = new Set();
    if (changed.all) {
      this.redrawAllServices();
    } else {
      for (const id of changed.services) {
        this.drawInstance(id, false);
      }
    }
    // Services whose breaker or split changed on the connected node's proxy.
    for (const name of changed.groups) {
      this.dirtyGroups.add(name);
    }
    for (const name of this.dirtyGroups) {
      this.drawGroupCount(name);
    }
    // The counts follow the instances: taken again only when they changed, for the charts and the node cards.
    if (changed.all || changed.services.size > 0 || !this.counted) {
      this.counted = counts(this.state);
    }
    if (changed.all || changed.services.size > 0) {
      this.drawCounts();
    }
    // The selected instance's details show its service's splits too.
    const service = this.selected ? this.state.services.get(this.selected)?.name : undefined;
    if (this.selected && (changed.all || changed.services.has(this.selected) || changed.groups.has(service))) {
      this.drawDetails();
    }
    if (changed.nodes || changed.all) {
      this.drawNodes();
    }
    if (changed.timeline.length > 0) {
      this.drawTimeline(changed.timeline);
    }
    $('revision').textContent = this.state.revision ?? '–';
  }

  // ---- cluster -------------------------------------------------------------------------------------------------

  drawNodes() {
    const state = this.state;
    const perNode = this.counted.byNode;
    const nodes = [...state.nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
    // Redrawn only when something shown changed: instance updates in a burst mostly leave the cards as they are.
    const shown = JSON.stringify([state.leader, state.term, this.connectedBase, nodes.map((n) =>
      [n.id, n.name, nodeState(state, n), state.lagging.get(n.id), n.region, n.zone, n.host, n.httpPort,
        perNode.get(n.id) ?? 0])]);
    if (shown === this.nodesShown) {
      return;
    }
    this.nodesShown = shown;
    const container = $('nodes');
    const cards = nodes.map((n) => {
      const status = nodeState(state, n);
      const leads = n.id === state.leader;
      const card = el('article', `node status-${status}${leads ? ' leader' : ''}`);
      card.dataset.nodeId = n.id;
      card.dataset.status = status;
      card.dataset.role = leads ? 'leader' : status === 'alive' ? 'follower' : 'none';
      const connected = nodeBaseUrl(n) === this.connectedBase;
      card.dataset.connected = String(connected);
      const head = el('header');
      head.append(el('span', 'name', n.name && n.name !== n.id ? `${n.id} (${n.name})` : n.id),
        el('span', `badge status-${status}`, status));
      card.append(head);
      card.append(el('div', 'role', leads ? `★ leader · term ${state.term}` : status === 'alive' ? 'follower' : ''));
      const lagging = state.lagging.get(n.id);
      if (lagging) {
        // Not current (a log it cannot write, behind the leader): what it serves may be old.
        card.dataset.lagging = 'true';
        card.classList.add('lagging');
        const why = el('div', 'lagging-why', `lagging: ${lagging}`);
        why.title = lagging;
        card.append(why);
      }
      card.append(el('div', 'where', [n.region, n.zone].filter(Boolean).join(' / ') || 'no region / zone'));
      card.append(el('div', 'addr', `${n.host}:${n.httpPort}${connected ? ' · this page is connected here' : ''}`));
      const count = el('div', 'count');
      count.append(el('strong', null, String(perNode.get(n.id) ?? 0)), document.createTextNode(' instances'));
      card.append(count);
      return card;
    });
    container.replaceChildren(...cards);
    const leader = state.leader ? `· leader ${state.leader}, term ${state.term}` : '· no leader';
    $('leader-summary').textContent = leader;
  }

  // ---- services ------------------------------------------------------------------------------------------------

  redrawAllServices() {
    this.groups.clear();
    this.instances.clear();
    $('services').replaceChildren();
    const sorted = [...this.state.services.values()].sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
    for (const s of sorted) {
      this.drawInstance(s.id, true);
    }
    this.applyFilter();
  }

  /** inOrder: instances come sorted (a full redraw), so each goes at the end of its group. */
  drawInstance(id, inOrder) {
    const s = this.state.services.get(id);
    const existing = this.instances.get(id);
    if (existing && (!s || existing.dataset.name !== s.name)) {
      this.instances.delete(id);
      existing.remove();
      this.dirtyGroups.add(existing.dataset.name);
    }
    if (!s) {
      return;
    }
    const group = this.group(s.name, inOrder);
    let li = this.instances.get(id);
    if (!li) {
      li = el('li', 'instance');
      li.dataset.instanceId = id;
      li.tabIndex = 0;
      li.append(el('span', 'id'), el('span', 'version'), el('span', 'zone'), el('span', 'load'), el('span', 'marks'),
        el('span', 'ejection'));
      if (inOrder) {
        group.list.append(li);
      } else {
        insertSorted(group.list, li, (other) => compare(other.dataset.instanceId, id) > 0);
      }
      this.instances.set(id, li);
    }
    fillInstance(li, s, this.state.proxy.instances.get(id));
    li.hidden = !matches(s, this.filter);
    this.dirtyGroups.add(s.name);
  }

  group(name, inOrder) {
    let group = this.groups.get(name);
    if (!group) {
      const section = el('section', 'group');
      section.dataset.service = name;
      const title = el('h3');
      const count = el('span', 'count');
      const breaker = el('span', 'breaker', 'breaker open');
      breaker.hidden = true;
      breaker.title = 'The proxy of the node this page is connected to refused its last request to this service at once '
        + '(a breaker limit).';
      // The split routes of the service on that proxy: each side's weight and share of its recent requests.
      const split = el('span', 'split');
      split.hidden = true;
      split.title = 'Split routes of this service on the proxy of the node this page is connected to: each side\'s '
        + 'weight, and the share of the last minute\'s requests it took.';
      title.append(el('span', 'service-name', name), breaker, split, count);
      const list = el('ul', 'instances');
      section.append(title, list);
      if (inOrder) {
        $('services').append(section);
      } else {
        insertSorted($('services'), section, (other) => compare(other.dataset.service, name) > 0);
      }
      group = { section, list, count, breaker, split };
      this.groups.set(name, group);
    }
    return group;
  }

  drawGroupCount(name) {
    const group = this.groups.get(name);
    if (!group) {
      return;
    }
    const items = [...group.list.children];
    if (items.length === 0) {
      group.section.remove();
      this.groups.delete(name);
      return;
    }
    const passing = items.filter((li) => li.dataset.passing === 'true').length;
    group.count.textContent = `${passing}/${items.length} passing`;
    const open = this.state.proxy.services.get(name)?.breakerOpen === true;
    assignData(group.section, 'breaker', open ? 'open' : 'closed');
    assign(group.breaker, 'hidden', !open);
    const splits = this.state.proxy.splits.get(name) ?? [];
    assignData(group.section, 'split', String(splits.length > 0));
    assign(group.split, 'textContent', splits.length > 0 ? splitMark(splits) : '');
    assign(group.split, 'hidden', splits.length === 0);
    group.section.hidden = items.every((li) => li.hidden);
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    this.applyFilter();
  }

  applyFilter() {
    for (const [id, li] of this.instances) {
      li.hidden = !matches(this.state.services.get(id), this.filter);
    }
    for (const group of this.groups.values()) {
      group.section.hidden = [...group.list.children].every((li) => li.hidden);
    }
    $('services-empty').hidden = this.instances.size === 0 || [...this.groups.values()].some((g) => !g.section.hidden);
  }

  drawCounts() {
    const c = this.counted;
    const shown = JSON.stringify([c.total, c.passing, c.byStatus, [...c.byRegion], [...c.byZone]]);
    if (shown === this.countsShown) {
      return;
    }
    this.countsShown = shown;
    $('services-count').textContent = `${c.passing} passing of ${c.total}`;
    chart($('chart-status'), Object.entries(c.byStatus), (key) => `health-${key}`);
    chart($('chart-region'), [...c.byRegion.entries()].sort(), () => 'plain');
    chart($('chart-zone'), [...c.byZone.entries()].sort(), () => 'plain');
    $('services-empty').hidden = c.total === 0 || [...this.groups.values()].some((g) => !g.section.hidden);
  }

  // ---- details and timeline ------------------------------------------------------------------------------------

  select(id) {
    if (id !== this.selected) {
      $('action-result').textContent = '';
      delete $('action-result').dataset.outcome;
    }
    this.selected = id;
    this.drawDetails();
  }

  drawDetails() {
    const panel = $('details');
    if (!this.selected) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    const s = this.state.services.get(this.selected);
    $('details-title').textContent = this.selected;
    panel.dataset.instanceId = this.selected;
    const fields = $('details-fields');
    fields.replaceChildren();
    if (!s) {
      fields.append(el('dt', null, 'state'), el('dd', null, 'deregistered'));
      panel.querySelectorAll('[data-action]').forEach((b) => { b.disabled = true; });
      return;
    }
    const check = s.lastCheck;
    const rows = [
      ['service', `${s.name}${s.version ? ' ' + s.version : ''}`],
      ['address', `${s.address}:${s.port}`],
      ['health', `${s.health}${s.healthReason ? ' — ' + s.healthReason : ''}`],
      ['last check', check ? `${check.status}: ${check.output ?? ''} (${check.durationMillis} ms, on ${check.node}, ${ago(check.at)})` : 'none yet'],
      ['rotation', s.draining ? 'draining' : s.enabled === false ? 'disabled' : 'enabled'],
      ['node', s.node],
      ['region / zone', [s.region, s.zone].filter(Boolean).join(' / ') || '–'],
      ['tags', (s.tags ?? []).join(', ') || '–'],
      ['metadata', Object.entries(s.metadata ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '–'],
      ['revision', String(s.revision)],
    ];
    const load = this.state.proxy.instances.get(s.id);
    if (load) {
      // The proxy of the node this page is connected to (each node has its own view).
      const figures = [rate(load), `${load.inFlight} in flight`, `${Math.round(load.recentErrorRate * 100)}% errors (10 s)`];
      if (load.ejected) {
        figures.push(ejectionText(load));
      }
      rows.splice(5, 0, ['proxy here', figures.join(' · ')]);
    }
    // The service's split routes on the same proxy, a line per side, before the node row.
    const at = rows.findIndex(([k]) => k === 'node');
    for (const split of [...(this.state.proxy.splits.get(s.name) ?? [])].reverse()) {
      rows.splice(at, 0, ['split', [...sideLines(split), `route ${split.route}, last minute on this node's proxy`]]);
    }
    for (const [k, v] of rows) {
      const dd = el('dd', null, Array.isArray(v) ? undefined : v);
      if (Array.isArray(v)) {
        dd.className = 'lines';
        dd.append(...v.map((line) => el('div', null, line)));
      }
      fields.append(el('dt', null, k), dd);
    }
    panel.querySelector('[data-action="enable"]').disabled = s.enabled !== false && !s.draining;
    panel.querySelector('[data-action="disable"]').disabled = s.enabled === false;
    panel.querySelector('[data-action="drain"]').disabled = !!s.draining;
  }

  drawTimeline(entries) {
    const list = $('timeline');
    const fragment = document.createDocumentFragment();
    // entries are oldest first; the newest goes on top.
    for (let i = entries.length - 1; i >= 0 && fragment.childNodes.length < TIMELINE_LIMIT; i--) {
      const e = entries[i];
      const li = el('li', `event ${e.severity}`);
      li.dataset.revision = e.revision;
      li.append(el('time', null, clock(e.timestamp)), el('span', 'text', e.text));
      fragment.append(li);
    }
    list.prepend(fragment);
    while (list.childElementCount > TIMELINE_LIMIT) {
      list.lastElementChild.remove();
    }
  }

  connection(state, base, lastRevision) {
    this.connectedBase = base;
    const node = [...this.state.nodes.values()].find((n) => nodeBaseUrl(n) === base);
    const name = node ? node.id : base;
    const box = $('connection');
    box.dataset.state = state;
    box.dataset.node = node ? node.id : '';
    document.body.dataset.connection = state;
    const banner = $('banner');
    const text = {
      connecting: `connecting to ${name}…`,
      live: `live · ${name}`,
      reconnecting: `reconnecting… trying ${name}`,
      stale: `stale · ${name} is cut off from the cluster's majority`,
      unauthenticated: `${name} needs a token`,
      forbidden: `the token may not read this cluster`,
    }[state];
    $('connection-text').textContent = text;
    if (state === 'unauthenticated' || state === 'forbidden') {
      banner.hidden = false;
      banner.dataset.kind = state;
      banner.textContent = state === 'unauthenticated'
        ? 'This cluster takes tokens: enter yours in the token field above (it stays in this browser).'
        : 'This token may not read the cluster (it needs the read right on cluster and services): enter another.';
    } else if (state === 'reconnecting' || state === 'stale') {
      banner.hidden = false;
      banner.dataset.kind = state;
      banner.textContent = state === 'reconnecting'
        ? `Connection lost. This picture is as of revision ${lastRevision ?? '–'} and may be out of date; reconnecting to another node…`
        : `${name} has no quorum: what it shows may be behind the cluster. Moving to another node…`;
    } else {
      banner.hidden = true;
    }
    this.counted ??= counts(this.state);
    this.drawNodes();
  }
}

/** load: what the connected node's proxy knows of the instance, if anything. */
function fillInstance(li, s, load) {
  // Only what differs is written: an unchanged attribute costs the browser no style recalculation.
  const passing = isPassing(s);
  const ejected = load?.ejected === true;
  assign(li, 'className', `instance health-${s.health}${s.enabled === false ? ' disabled' : ''}`
    + `${s.draining ? ' draining' : ''}${ejected ? ' ejected' : ''}`);
  assignData(li, 'name', s.name);
  assignData(li, 'health', s.health);
  assignData(li, 'enabled', String(s.enabled !== false));
  assignData(li, 'draining', String(!!s.draining));
  assignData(li, 'passing', String(passing));
  assignData(li, 'ejected', String(ejected));
  assignData(li, 'ejectedUntil', ejected ? String(load.ejectedUntil) : '');
  const [id, version, zone, rps, marks, ejection] = li.children;
  assign(id, 'textContent', s.id);
  assign(version, 'textContent', s.version ?? '');
  assign(zone, 'textContent', s.zone ?? '');
  assign(rps, 'textContent', load ? rate(load) : '');
  assign(marks, 'textContent', [s.enabled === false ? 'disabled' : '', s.draining ? 'draining' : ''].filter(Boolean).join(' '));
  assign(ejection, 'textContent', ejected ? ejectionText(load) : '');
  const check = s.lastCheck ? `\nlast check: ${s.lastCheck.output ?? s.lastCheck.status} (on ${s.lastCheck.node})` : '';
  const proxied = load ? `\nproxy (this page's node): ${rate(load)}, ${load.inFlight} in flight${ejected ? ', ' + ejectionText(load) : ''}` : '';
  assign(li, 'title', `${s.id}: ${s.health === 'unknown' ? 'unknown / starting' : s.health}${s.healthReason ? ' — ' + s.healthReason : ''}${check}${proxied}`);
}

/** Requests per second through the connected node's proxy over its last 10 s: "12.3 req/s". */
function rate(load) {
  const rps = load.requestsPerSecond;
  return `${rps >= 100 ? Math.round(rps) : rps.toFixed(1)} req/s`;
}

/** "ejected until 14:03:07" (local time), or "ejected" when the node did not say until when. */
function ejectionText(load) {
  return load.ejectedUntil ? `ejected until ${hms(load.ejectedUntil)}` : 'ejected';
}

function assign(element, property, value) {
  if (element[property] !== value) {
    element[property] = value;
  }
}

function assignData(element, key, value) {
  if (element.dataset[key] !== value) {
    element.dataset[key] = value;
  }
}

function matches(s, filter) {
  if (!filter || !s) {
    return true;
  }
  return s.name.toLowerCase().includes(filter) || (s.tags ?? []).some((t) => t.toLowerCase().includes(filter));
}

function chart(container, entries, barClass) {
  const max = Math.max(1, ...entries.map(([, v]) => v));
  const rows = entries.map(([key, value]) => {
    const row = el('div', 'bar-row');
    row.dataset.key = key;
    row.dataset.count = value;
    const bar = el('span', `bar ${barClass(key)}`);
    bar.style.width = `${(value / max) * 100}%`;
    const track = el('span', 'track');
    track.append(bar);
    row.append(el('span', 'label', key), track, el('span', 'value', String(value)));
    return row;
  });
  container.replaceChildren(el('h4', null, container.dataset.title), ...rows);
}

function insertSorted(parent, child, isAfter) {
  for (const other of parent.children) {
    if (isAfter(other)) {
      parent.insertBefore(child, other);
      return;
    }
  }
  parent.append(child);
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) {
    e.className = className;
  }
  if (text !== undefined) {
    e.textContent = text;
  }
  return e;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

function hms(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}
