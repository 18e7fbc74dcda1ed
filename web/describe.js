// One line per event, readable at a glance on a wall screen: "web-api-3 became unhealthy: HTTP 500 — node-2".

import { routeSplitText } from './split.js';

const HEALTH_SEVERITY = { healthy: 'ok', degraded: 'warn', unhealthy: 'bad', unknown: 'info' };

export function describe(event) {
  const s = event.service;
  const n = event.node;
  const entry = { revision: event.revision, timestamp: event.timestamp, severity: 'info', text: event.type };
  switch (event.type) {
    case 'serviceRegistered':
      entry.severity = 'ok';
      entry.text = `${s.id} registered: ${s.name}${s.version ? ' ' + s.version : ''} at ${address(s)} — ${s.node}`;
      break;
    case 'serviceUpdated':
      entry.text = `${s.id} updated${s.version ? ': ' + s.name + ' ' + s.version : ''} at ${address(s)} — ${s.node}`;
      break;
    case 'serviceDeregistered':
      entry.severity = 'warn';
      entry.text = `${s.id} deregistered — ${s.node}`;
      break;
    case 'serviceHealthChanged': {
      entry.severity = HEALTH_SEVERITY[s.health] ?? 'info';
      const reason = s.healthReason ? `: ${s.healthReason}` : '';
      // The node that decided: the one that ran the check, else the one the instance registered through.
      const by = s.lastCheck?.node ?? s.node;
      entry.text = `${s.id} became ${s.health === 'unknown' ? 'unknown (starting)' : s.health}${reason} — ${by}`;
      break;
    }
    case 'serviceEnabled':
      entry.severity = 'ok';
      entry.text = `${s.id} enabled: back in rotation`;
      break;
    case 'serviceDisabled':
      entry.severity = 'warn';
      entry.text = `${s.id} disabled: out of rotation`;
      break;
    case 'serviceDraining':
      entry.severity = 'warn';
      entry.text = `${s.id} draining: out of rotation until it leaves`;
      break;
    case 'nodeJoined':
      entry.severity = 'ok';
      entry.text = `${n.id} joined (${n.host}:${n.httpPort}${n.zone ? ', ' + n.zone : ''})`;
      break;
    case 'nodeLeft':
      entry.severity = 'warn';
      entry.text = `${n.id} left the cluster`;
      break;
    case 'nodeFailed':
      entry.severity = 'bad';
      entry.text = `${n.id} failed`;
      break;
    case 'leaderElected':
      entry.text = `${event.leader} elected leader (term ${event.term})`;
      break;
    case 'routeSet': {
      const r = event.route;
      const split = r?.split ? `: split ${routeSplitText(r)}` : '';
      entry.text = `route ${r?.id} → ${r?.service}${split}`;
      break;
    }
    case 'routeDeleted':
      entry.severity = 'warn';
      entry.text = `route ${event.route?.id} deleted`;
      break;
    default:
      break;
  }
  return entry;
}

function address(s) {
  return s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}
