package io.cairn.registry;

import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;

import java.util.List;

/** The whole registry at one revision: what a late joiner loads before replaying the log from revision + 1. */
public record Snapshot(long revision, long term, String leader, List<ServiceEntry> services, List<NodeInfo> nodes) {
}
