package io.cairn.registry;

import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;

import java.util.List;

/** The whole registry at one revision: what a late joiner loads before replaying the log from revision + 1. */
public record Snapshot(long revision, long term, String leader, long leaderSince, List<ServiceEntry> services,
                       List<NodeInfo> nodes) {
  /** The empty registry at a revision. */
  public static Snapshot empty(long revision) {
    return new Snapshot(revision, 0, null, 0, List.of(), List.of());
  }
}
