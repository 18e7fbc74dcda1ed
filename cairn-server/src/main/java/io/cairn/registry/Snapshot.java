package io.cairn.registry;

import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;

import java.util.List;
import java.util.Map;

/**
 * The whole registry at one revision (instances, nodes, routes): what a late joiner loads before replaying the log from revision + 1.
 * {@code lastRequests} is, per node, the highest number of a command it proposed that the log applied (see
 * {@link Replica#firstApplication}): part of the state, so that a node loading a snapshot skips the same repeated
 * commands as the others.
 */
public record Snapshot(long revision, long term, String leader, long leaderSince, List<ServiceEntry> services,
                       List<NodeInfo> nodes, List<Route> routes, Map<String, Long> lastRequests) {
  /** The instances and nodes alone (what a watcher is shown). */
  public Snapshot(long revision, long term, String leader, long leaderSince, List<ServiceEntry> services,
                  List<NodeInfo> nodes) {
    this(revision, term, leader, leaderSince, services, nodes, List.of(), Map.of());
  }

  /** The empty registry at a revision. */
  public static Snapshot empty(long revision) {
    return new Snapshot(revision, 0, null, 0, List.of(), List.of());
  }
}
