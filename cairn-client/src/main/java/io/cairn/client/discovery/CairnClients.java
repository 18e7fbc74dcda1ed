package io.cairn.client.discovery;

import io.cairn.client.CairnClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** The Cairn client an importer or exporter configuration describes. */
final class CairnClients {
  private CairnClients() {
  }

  /**
   * {@code nodes} (required: Cairn nodes as {@code host:port}, the HTTP port), {@code token}, {@code ca} (a PEM
   * file to trust, for nodes with TLS), {@code cert} and {@code key} (a client certificate, for mutual TLS).
   */
  static CairnClient fromConfiguration(Vertx vertx, JsonObject configuration) {
    JsonArray nodes = configuration.getJsonArray("nodes");
    if (nodes == null || nodes.isEmpty()) {
      throw new IllegalArgumentException("the configuration needs \"nodes\": the Cairn nodes, as [\"host:port\", ...]");
    }
    List<String> hostPorts = new ArrayList<>();
    for (Object n : nodes) {
      hostPorts.add(String.valueOf(n));
    }
    CairnClient.Builder builder = CairnClient.builder().vertx(vertx).nodes(hostPorts).continuousRetry();
    if (configuration.getString("token") != null) {
      builder.token(configuration.getString("token"));
    }
    if (configuration.getString("ca") != null) {
      builder.tls(configuration.getString("ca"));
    }
    if (configuration.getString("cert") != null) {
      builder.clientCertificate(configuration.getString("cert"), configuration.getString("key"));
    }
    return builder.build();
  }
}
