package io.cairn.registry;

import io.cairn.model.Check;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.ServiceEntry;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds definitions and commands the way the gateway would. */
public final class Fixtures {
  static final String NODE = "n1";

  private Fixtures() {
  }

  static ServiceEntry definition(String id, String name, String version, List<String> tags, Map<String, String> meta,
                                 String region, String zone, long ttl) {
    return new ServiceEntry(id, name, version, "10.0.0.1", 8080, tags, new TreeMap<>(meta), region, zone, 1, null,
        ttl > 0 ? Check.ttl(0) : null, ttl, Health.UNKNOWN, true, false, 0, null, 0, 0, null, 0);
  }

  /** A node as it announces itself, alive and not yet joined. */
  static io.cairn.model.NodeInfo node(String id, String memberId, String host, int httpPort, String clusterAddress) {
    return io.cairn.model.NodeInfo.announce(id, id, memberId, host, httpPort, host + ":" + httpPort, clusterAddress,
        "", "", "dev", List.of(), 0);
  }

  public static ServiceEntry definition(String id, String name) {
    return definition(id, name, "1.0.0", List.of(), Map.of(), null, null, 0);
  }

  static Command register(String id, String name, long at) {
    return Command.register(NODE, 0, at, definition(id, name), false, Command.NO_CAS);
  }

  static Command on(Command.Type type, String id, long at) {
    return Command.onInstance(type, NODE, 0, at, id);
  }
}
