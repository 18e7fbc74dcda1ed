package io.cairn.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code node} section: who this node is and where it keeps its files.
 *
 * @param id      node.id, or {@code <host name>-<http.port>} when it is blank
 * @param name    node.name, or the id when it is blank
 * @param tags    node.tags: a list, or a comma-separated string
 */
public record NodeSettings(String id, String name, String region, String zone, List<String> tags, Path dataDir) {

  public NodeSettings {
    tags = List.copyOf(tags);
  }

  static NodeSettings from(ConfigReader r, int httpPort) {
    String id = r.string("id");
    if (id.isBlank()) {
      // Resolved once: looking the host name up may be slow, and the id must not change while the node runs.
      id = hostName().replaceAll("[^A-Za-z0-9._-]", "-") + "-" + httpPort;
    }
    String name = r.string("name");
    return new NodeSettings(id, name.isBlank() ? id : name, r.string("region"), r.string("zone"), r.list("tags"),
        Path.of(r.string("dataDir")));
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "node";
    }
  }
}
