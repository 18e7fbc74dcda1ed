package io.cairn.model;

import java.util.List;
import java.util.SortedMap;

/**
 * A discovery query. Every non-null criterion must match. {@code tags}: the instance must carry all of them.
 * {@code metadata}: every key must be present with exactly that value.
 */
public record ServiceQuery(String name, VersionFilter version, List<String> tags, StatusFilter status, String node,
                           String region, String zone, SortedMap<String, String> metadata) {

  public static ServiceQuery byName(String name) {
    return new ServiceQuery(name, null, List.of(), StatusFilter.PASSING, null, null, null, new java.util.TreeMap<>());
  }

  /** Every instance of {@code name}, whatever its health and rotation. */
  public static ServiceQuery allOf(String name) {
    return new ServiceQuery(name, null, List.of(), StatusFilter.ANY, null, null, null, new java.util.TreeMap<>());
  }

  /**
   * The instances of {@code service} in rotation (passing, as discovery counts it) that a route's {@code select}
   * admits: where a proxy, a node's or a sidecar's, sends the route's requests.
   */
  public static ServiceQuery inRotation(String service, Route.Select select) {
    return new ServiceQuery(service, select.version() == null ? null : VersionFilter.parse(select.version()),
        select.tags(), StatusFilter.PASSING, null, select.region(), select.zone(), new java.util.TreeMap<>(select.meta()));
  }

  public boolean matches(ServiceEntry e) {
    if (name != null && !name.equals(e.name())) {
      return false;
    }
    if (!status.matches(e)) {
      return false;
    }
    if (node != null && !node.equals(e.node())) {
      return false;
    }
    if (region != null && !region.equals(e.region())) {
      return false;
    }
    if (zone != null && !zone.equals(e.zone())) {
      return false;
    }
    for (String tag : tags) {
      if (!e.tags().contains(tag)) {
        return false;
      }
    }
    for (var m : metadata.entrySet()) {
      if (!m.getValue().equals(e.metadata().get(m.getKey()))) {
        return false;
      }
    }
    return version == null || version.matches(e.version());
  }
}
