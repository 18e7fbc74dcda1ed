package io.cairn.cli;

import io.cairn.grpc.v1.ListNodesResponse;
import io.cairn.grpc.v1.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

import java.time.Instant;

@Command(name = "nodes", description = "The cluster's nodes: alive, left or failed, and which one leads.")
final class NodesCommand extends ClusterCommand {

  @Override
  public Integer call() {
    ListNodesResponse answer;
    try (Cluster cluster = connection.open()) {
      answer = cluster.await(cluster.client().listNodes());
    }
    JsonArray nodes = new JsonArray();
    Output.Table table = output.wide()
        ? new Output.Table("ID", "STATUS", "ROLE", "HOST", "HTTP", "GRPC", "CLUSTER", "VERSION", "ZONE", "SINCE")
        : new Output.Table("ID", "STATUS", "ROLE", "HOST", "HTTP", "VERSION");
    for (Node n : answer.getNodesList()) {
      nodes.add(new JsonObject().put("id", n.getId()).put("memberId", n.getMemberId()).put("host", n.getHost())
          .put("httpPort", n.getHttpPort()).put("grpcAddress", n.getGrpcAddress())
          .put("clusterAddress", n.getClusterAddress()).put("region", n.getRegion()).put("zone", n.getZone())
          .put("version", n.getVersion()).put("status", n.getStatus()).put("role", n.getRole())
          .put("joinedAt", n.getJoinedAt()).put("since", n.getSince()));
      if (output.wide()) {
        table.row(n.getId(), n.getStatus(), n.getRole(), n.getHost(), n.getHttpPort(), n.getGrpcAddress(),
            n.getClusterAddress(), n.getVersion(), Instances.orNull(n.getZone()), Instant.ofEpochMilli(n.getSince()));
      } else {
        table.row(n.getId(), n.getStatus(), n.getRole(), n.getHost(), n.getHttpPort(), n.getVersion());
      }
    }
    JsonObject json = new JsonObject().put("revision", answer.getRevision()).put("leader", answer.getLeader())
        .put("term", answer.getTerm()).put("nodes", nodes);
    print(json, table);
    return 0;
  }
}
