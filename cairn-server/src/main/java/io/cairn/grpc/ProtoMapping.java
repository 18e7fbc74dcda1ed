package io.cairn.grpc;

import io.cairn.api.ApiException;
import io.cairn.api.ClusterViews;
import io.cairn.grpc.v1.Check;
import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.ListNodesResponse;
import io.cairn.grpc.v1.Node;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.model.Command;
import io.cairn.model.Event;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.model.ServiceEntry;
import io.cairn.registry.Snapshot;
import io.cairn.wire.InstanceMessages;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;

/**
 * Between the gRPC messages of {@code cairn/v1/registry.proto} and Cairn's model. A registration goes to the same
 * JSON the REST API takes, so that one validation ({@code Registrations}) judges both; answers are built straight
 * from the model.
 */
public final class ProtoMapping {
  private ProtoMapping() {
  }

  /** The registration as REST's JSON body; fields proto3 leaves at their default are left out, as a client would. */
  public static JsonObject registration(Instance i) {
    JsonObject json = new JsonObject();
    putText(json, "id", i.getId());
    putText(json, "name", i.getName());
    putText(json, "version", i.getVersion());
    putText(json, "address", i.getAddress());
    if (i.getPort() != 0) {
      json.put("port", i.getPort());
    }
    if (i.getTagsCount() > 0) {
      json.put("tags", new JsonArray(i.getTagsList()));
    }
    if (i.getMetadataCount() > 0) {
      json.put("metadata", new JsonObject(new LinkedHashMap<>(i.getMetadataMap())));
    }
    putText(json, "region", i.getRegion());
    putText(json, "zone", i.getZone());
    if (i.hasWeight()) {
      json.put("weight", i.getWeight());
    }
    putText(json, "ttl", i.getTtl());
    if (i.hasCheck()) {
      json.put("check", check(i.getCheck()));
    }
    return json;
  }

  /**
   * An {@code optional int64 cas} as the API takes it: {@link Command#NO_CAS} when absent, 0 for "only if absent",
   * or a revision; a negative one is refused.
   */
  static long cas(boolean present, long cas) {
    if (!present) {
      return Command.NO_CAS;
    }
    if (cas < 0) {
      throw new ApiException(400, "invalid_cas", "cas must be a revision: a whole number, 0 for 'only if absent'", "cas");
    }
    return cas;
  }

  private static JsonObject check(Check c) {
    JsonObject json = new JsonObject();
    putText(json, "type", c.getType());
    putText(json, "path", c.getPath());
    putText(json, "url", c.getUrl());
    if (c.getHeadersCount() > 0) {
      json.put("headers", new JsonObject(new LinkedHashMap<>(c.getHeadersMap())));
    }
    if (c.getTls()) {
      json.put("tls", true);
    }
    if (c.getTlsSkipVerify()) {
      json.put("tlsSkipVerify", true);
    }
    putText(json, "service", c.getService());
    putText(json, "interval", c.getInterval());
    putText(json, "timeout", c.getTimeout());
    if (c.hasFailuresBeforeUnhealthy()) {
      json.put("failuresBeforeUnhealthy", c.getFailuresBeforeUnhealthy());
    }
    if (c.hasSuccessesBeforeHealthy()) {
      json.put("successesBeforeHealthy", c.getSuccessesBeforeHealthy());
    }
    putText(json, "gracePeriod", c.getGracePeriod());
    putText(json, "deregisterAfter", c.getDeregisterAfter());
    return json;
  }

  /** A discovery as the JSON criteria {@code Queries.fromJson} reads. */
  public static JsonObject query(DiscoverRequest r) {
    JsonObject json = new JsonObject();
    putText(json, "name", r.getName());
    putText(json, "version", r.getVersion());
    if (r.getTagsCount() > 0) {
      json.put("tags", new JsonArray(r.getTagsList()));
    }
    putText(json, "status", r.getStatus());
    putText(json, "node", r.getNode());
    putText(json, "region", r.getRegion());
    putText(json, "zone", r.getZone());
    if (r.getMetadataCount() > 0) {
      json.put("metadata", new JsonObject(new LinkedHashMap<>(r.getMetadataMap())));
    }
    return json;
  }

  public static Instance instance(ServiceEntry e) {
    return InstanceMessages.message(e);
  }

  /** A node as the log records it; {@code status} and {@code role} as this node sees them (suspect, leader). */
  public static Node node(NodeInfo n, String status, String role, int services) {
    return Node.newBuilder()
        .setId(n.id())
        .setName(n.name())
        .setMemberId(n.memberId() == null ? "" : n.memberId())
        .setHost(n.host())
        .setHttpPort(n.httpPort())
        .setGrpcAddress(n.grpcAddress() == null ? "" : n.grpcAddress())
        .setClusterAddress(n.clusterAddress() == null ? "" : n.clusterAddress())
        .setRegion(n.region())
        .setZone(n.zone())
        .setVersion(n.version() == null ? "" : n.version())
        .addAllTags(n.tags())
        .setStartedAt(n.startedAt())
        .setStatus(status)
        .setJoinedAt(n.joinedAt())
        .setSince(n.since())
        .setRole(role)
        .setServices(services)
        .build();
  }

  /** What ListNodes answers: every node the log knows, as this node sees it. */
  public static ListNodesResponse nodes(ClusterViews.Nodes nodes) {
    ListNodesResponse.Builder b = ListNodesResponse.newBuilder().setRevision(nodes.revision()).setTerm(nodes.term());
    if (nodes.leader() != null) {
      b.setLeader(nodes.leader());
    }
    for (ClusterViews.NodeView v : nodes.nodes()) {
      b.addNodes(node(v.info(), v.status(), v.role(), v.services()));
    }
    return b.build();
  }

  /** The registry at one revision as one Watch message (already narrowed to what the watcher may see). */
  public static WatchEvent snapshot(Snapshot s) {
    WatchEvent.Builder b = WatchEvent.newBuilder().setType("snapshot").setRevision(s.revision()).setTerm(s.term());
    if (s.leader() != null) {
      b.setLeader(s.leader());
    }
    for (ServiceEntry e : s.services()) {
      b.addInstances(instance(e));
    }
    for (NodeInfo n : s.nodes()) {
      b.addNodes(node(n, n.status().json(), n.id().equals(s.leader()) ? "leader" : "none", 0));
    }
    for (Route r : s.routes()) {
      b.addRoutes(Routes.toJson(r).encode());
    }
    return b.build();
  }

  /** A change, as Watch streams it. */
  public static WatchEvent event(Event e) {
    WatchEvent.Builder b = WatchEvent.newBuilder().setType(e.type().json()).setRevision(e.revision())
        .setTimestamp(e.timestamp());
    if (e.service() != null) {
      b.setInstance(instance(e.service()));
    }
    if (e.node() != null) {
      NodeInfo n = e.node();
      b.setNode(node(n, n.status().json(), "none", 0));
    }
    if (e.leader() != null) {
      b.setLeader(e.leader()).setTerm(e.term());
    }
    if (e.route() != null) {
      b.setRoute(Routes.toJson(e.route()).encode());
    }
    return b.build();
  }

  private static void putText(JsonObject json, String key, String value) {
    if (value != null && !value.isEmpty()) {
      json.put(key, value);
    }
  }
}
