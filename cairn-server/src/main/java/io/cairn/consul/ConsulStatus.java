package io.cairn.consul;

import io.cairn.api.CatalogQueries;
import io.cairn.model.NodeInfo;
import io.cairn.node.NodeState;
import io.cairn.webapi.Authentication;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;

/** Consul's {@code /v1/status}: the Raft leader's address and the voters'. */
final class ConsulStatus {
  private final NodeState node;
  private final CatalogQueries catalog;
  private final ConsulAnswers answers;

  ConsulStatus(NodeState node, CatalogQueries catalog, ConsulAnswers answers) {
    this.node = node;
    this.catalog = catalog;
    this.answers = answers;
  }

  void mount(Router router) {
    // Consul's clients ask for the leader to know the cluster is up (Spring's health indicator does): any caller
    // may. The voters' addresses, like REST's /v1/status, need read on the cluster.
    router.get("/v1/status/leader").handler(rc -> answers.answer(rc, 200, leaderAddress()));
    router.get("/v1/status/peers").handler(rc -> {
      JsonArray peers = new JsonArray();
      for (NodeInfo n : catalog.peers(Authentication.caller(rc), node.raft().voters())) {
        peers.add(raftAddress(n));
      }
      answers.answer(rc, 200, peers);
    });
  }

  /** The Raft address of the leader ({@code host:port}), or "" when there is none, as a JSON string. */
  private String leaderAddress() {
    String leader = node.raft().leader();
    NodeInfo n = leader == null ? null : catalog.node(leader);
    return n == null ? "" : raftAddress(n);
  }

  private static String raftAddress(NodeInfo n) {
    return n.clusterAddress() != null && !n.clusterAddress().isEmpty() ? n.clusterAddress() : n.host();
  }
}
