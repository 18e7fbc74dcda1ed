package io.cairn.api;

import io.cairn.model.Event;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;

import java.util.List;

/**
 * What a watcher asked to see: instances of one service name and/or with one tag. Without either it sees every
 * event, node and leader events included; with a filter, only the matching instances' events.
 */
public record EventFilter(String name, String tag) {
  public static final EventFilter ALL = new EventFilter(null, null);

  /** From a client's name and tag (either may be null; neither may be blank). */
  public static EventFilter of(String name, String tag) {
    if (name != null && name.isBlank() || tag != null && tag.isBlank()) {
      throw new io.cairn.api.ApiException(400, "invalid_value", "name and tag, when given, must not be empty",
          name == null ? "tag" : "name");
    }
    return name == null && tag == null ? ALL : new EventFilter(name, tag);
  }

  boolean isAll() {
    return name == null && tag == null;
  }

  public boolean wants(Event e) {
    if (e.service() == null) {
      return isAll();
    }
    return wants(e.service());
  }

  boolean wants(ServiceEntry s) {
    return (name == null || name.equals(s.name())) && (tag == null || s.tags().contains(tag));
  }

  /** The snapshot as this watcher sees it: only the matching instances (and the nodes only without a filter). */
  public Snapshot narrow(Snapshot s) {
    if (isAll()) {
      return s;
    }
    List<ServiceEntry> services = s.services().stream().filter(this::wants).toList();
    List<NodeInfo> nodes = List.of();
    return new Snapshot(s.revision(), s.term(), s.leader(), s.leaderSince(), services, nodes);
  }
}
