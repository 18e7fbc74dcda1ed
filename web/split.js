// How a route's split reads on the page: each side's select, its weight as a share of the route's total weight, and
// the share of the route's recent requests it took on the connected node's proxy (GET /v1/proxy/upstreams,
// "splits"). Text only, no DOM: render.js puts it where it goes.

/** "version ^1", "tags blue,green, zone eu-1": what a side selects, as the route document names it. */
function selectText(select) {
  return selectParts(select).map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The compact form for the service's mark: the values alone ("^1", "blue eu-1"). */
function selectShort(select) {
  return selectParts(select).map(([, v]) => v).join(' ');
}

function selectParts(select) {
  const parts = [];
  if (select?.version) {
    parts.push(['version', select.version]);
  }
  if (select?.tags?.length) {
    parts.push(['tags', select.tags.join(',')]);
  }
  const meta = Object.entries(select?.meta ?? {});
  if (meta.length) {
    parts.push(['meta', meta.map(([k, v]) => `${k}=${v}`).join(',')]);
  }
  if (select?.region) {
    parts.push(['region', select.region]);
  }
  if (select?.zone) {
    parts.push(['zone', select.zone]);
  }
  return parts;
}

/** A route document's split as one line: "^1 95%, ^2 5%" (weights as shares of their total). */
export function routeSplitText(route) {
  const sides = route?.split ?? [];
  const total = sides.reduce((sum, s) => sum + s.weight, 0);
  return sides.map((s) => `${selectShort(s.select)} ${total ? Math.round((s.weight * 100) / total) : 0}%`).join(', ');
}

/** The route's recent requests, all sides together. */
export function recentTotal(split) {
  return split.sides.reduce((sum, s) => sum + s.recentRequests, 0);
}

/** Per side of the split, one line: "version ^1 95% · took 94.8% of 1,234 recent". */
export function sideLines(split) {
  const total = recentTotal(split);
  const weights = split.sides.reduce((sum, s) => sum + s.weight, 0);
  return split.sides.map((s) => `${selectText(s.select)} ${percent(s.weight / weights)} · `
    + (total > 0 ? `took ${percent(s.recentShare)} of ${count(total)} recent` : 'no recent requests'));
}

/**
 * The service's mark, every split route of it on one line: "split ^1 95% (took 94.8%) · ^2 5% (took 5.2%)"; the
 * route's id leads when the service has more than one.
 */
export function splitMark(splits) {
  return 'split ' + splits.map((split) => {
    const total = recentTotal(split);
    const weights = split.sides.reduce((sum, s) => sum + s.weight, 0);
    const sides = split.sides.map((s) => `${selectShort(s.select)} ${percent(s.weight / weights)}`
      + (total > 0 ? ` (took ${percent(s.recentShare)})` : ''));
    return (splits.length > 1 ? `${split.route}: ` : '') + sides.join(' · ');
  }).join(' | ');
}

/** 0.948 -> "94.8%", 0.95 -> "95%". */
function percent(fraction) {
  const p = Math.round(fraction * 1000) / 10;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** 1234 -> "1,234", whatever the browser's language, so that the page reads alike everywhere. */
function count(n) {
  return n.toLocaleString('en-US');
}
