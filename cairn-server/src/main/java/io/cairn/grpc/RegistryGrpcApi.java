package io.cairn.grpc;

import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.cairn.api.Access;
import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.ClusterViews;
import io.cairn.api.EventFilter;
import io.cairn.api.Queries;
import io.cairn.api.RegistryOperations;
import io.cairn.api.RouteOperations;
import io.cairn.api.WatchHub;
import io.cairn.config.GrpcSettings;
import io.cairn.config.RegistrySettings;
import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.DiscoverResponse;
import io.cairn.grpc.v1.HeartbeatMessage;
import io.cairn.grpc.v1.HeartbeatReply;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.InstanceRef;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegisterResponse;
import io.cairn.grpc.v1.RegistryGrpcService;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.model.Command;
import io.cairn.model.NodeInfo;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.common.WireFormat;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.Service;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * {@code cairn.v1.Registry} on one gateway event loop: the same operations as the REST API, through the same
 * {@link RegistryOperations} (validation, the log, read-your-writes), with gRPC status codes for failures. Watch
 * streams are served by the loop's {@link WatchHub}, like SSE and WebSocket streams, agents' Heartbeat calls by
 * {@link GrpcHeartbeats}, and the route RPCs by {@link GrpcRoutes}; streaming calls count against
 * {@code grpc.maxClients}.
 */
public final class RegistryGrpcApi implements Service {
  private final GrpcSettings grpc;
  private final RegistrySettings registry;
  private final NodeState node;
  private final NodeStats stats;
  private final Access access;
  private final RegistryOperations ops;
  private final ClusterViews views;
  private final WatchHub hub;
  private final Set<GrpcWatcher> watchers = new HashSet<>();
  private final GrpcHeartbeats heartbeats;
  private final GrpcRoutes routes;

  public RegistryGrpcApi(Vertx vertx, GrpcSettings grpc, RegistrySettings registry, NodeState node, NodeStats stats, Replica replica, Access access,
                         RegistryOperations ops, ClusterViews views, WatchHub hub, RouteOperations routes) {
    this.grpc = grpc;
    this.registry = registry;
    this.node = node;
    this.stats = stats;
    this.access = access;
    this.ops = ops;
    this.views = views;
    this.hub = hub;
    this.heartbeats = new GrpcHeartbeats(vertx, grpc, stats, replica, ops, this::otherNodeAddress);
    this.routes = new GrpcRoutes(routes, ops, replica);
    hub.onLeaving(this::closeForLeaving);
  }

  @Override
  public ServiceName name() {
    return RegistryGrpcService.SERVICE_NAME;
  }

  @Override
  public ServiceDescriptor descriptor() {
    return RegistryGrpcService.SERVICE_DESCRIPTOR;
  }

  @Override
  public void bind(GrpcServer server) {
    server.callHandler(RegistryGrpcService.Register, call -> unary(call, this::register));
    server.callHandler(RegistryGrpcService.Deregister, call -> unary(call,
        (caller, ref) -> instance(ops.deregister(caller, ref.getId()))));
    server.callHandler(RegistryGrpcService.Get, call -> unary(call, (caller, ref) -> {
      ops.requireReady();
      return Future.succeededFuture(ProtoMapping.instance(ops.get(caller, ref.getId())));
    }));
    server.callHandler(DISCOVER, call -> unary(call, this::discover));
    server.callHandler(RegistryGrpcService.Enable, call -> unary(call, (c, ref) -> rotation(c, Command.Type.ENABLE, ref)));
    server.callHandler(RegistryGrpcService.Disable, call -> unary(call, (c, ref) -> rotation(c, Command.Type.DISABLE, ref)));
    server.callHandler(RegistryGrpcService.Drain, call -> unary(call, (c, ref) -> rotation(c, Command.Type.DRAIN, ref)));
    server.callHandler(RegistryGrpcService.ListNodes, call -> unary(call,
        (caller, request) -> Future.succeededFuture(ProtoMapping.nodes(views.nodes(caller)))));
    server.callHandler(RegistryGrpcService.Watch, this::watch);
    server.callHandler(RegistryGrpcService.Heartbeat, this::heartbeat);
    server.callHandler(RegistryGrpcService.PutRoute, call -> unary(call, routes::put));
    server.callHandler(RegistryGrpcService.GetRoute, call -> unary(call, routes::get));
    server.callHandler(RegistryGrpcService.DeleteRoute, call -> unary(call, routes::delete));
    server.callHandler(RegistryGrpcService.ListRoutes, call -> unary(call, routes::list));
  }

  // ---------------------------------------------------------------- unary calls

  /** Who makes the call: its {@code authorization: Bearer …} metadata, or its client certificate (401 otherwise). */
  private Caller caller(GrpcServerRequest<?, ?> call) {
    return access.authenticate(call.headers().get("authorization"), () -> null, call.connection());
  }

  /** One request, one answer; any failure (thrown or failed) ends the call with its gRPC status. */
  private <Req, Resp> void unary(GrpcServerRequest<Req, Resp> call, BiFunction<Caller, Req, Future<Resp>> operation) {
    call.handler(request -> {
      Future<Resp> answer;
      try {
        answer = operation.apply(caller(call), request);
      } catch (RuntimeException e) {
        answer = Future.failedFuture(e);
      }
      answer.onComplete(ar -> {
        if (ar.succeeded()) {
          call.response().end(ar.result());
        } else {
          fail(call.response(), ar.cause());
        }
      });
    });
  }

  private Future<RegisterResponse> register(Caller caller, RegisterRequest request) {
    Instance instance = request.getInstance();
    JsonObject body = ProtoMapping.registration(instance);
    String id = instance.getId();
    long cas = ProtoMapping.cas(request.hasCas(), request.getCas());
    // With an id: register or replace (REST's PUT). Without: create under a generated id (REST's POST).
    return ops.register(caller, body, id.isEmpty() ? null : id, id.isEmpty(), cas)
        .map(w -> RegisterResponse.newBuilder().setInstance(ProtoMapping.instance(w.entry()))
            .setCreated(w.status() == 201).build());
  }

  private Future<Instance> rotation(Caller caller, Command.Type type, InstanceRef ref) {
    return instance(ops.operate(caller, type, ref.getId()));
  }

  private static Future<Instance> instance(Future<RegistryOperations.Written> written) {
    return written.map(w -> ProtoMapping.instance(w.entry()));
  }

  /**
   * Discover answers as bytes: the instances of a cached answer are encoded once, and each call only puts its
   * revision in front (a protobuf message is the concatenation of its fields). Protobuf wire format only.
   */
  static final ServiceMethod<DiscoverRequest, Buffer> DISCOVER = ServiceMethod.server(RegistryGrpcService.SERVICE_NAME,
      "Discover", new GrpcMessageEncoder<>() {
        @Override
        public GrpcMessage encode(Buffer bytes, WireFormat format) {
          return GrpcMessage.message("identity", WireFormat.PROTOBUF, bytes);
        }

        @Override
        public boolean accepts(WireFormat format) {
          return format == WireFormat.PROTOBUF;
        }
      }, GrpcMessageDecoder.decoder(DiscoverRequest.newBuilder()));

  /** A discovery request as the query cache knows it; kept per distinct request, so that a hot one costs a lookup. */
  private record QueryKey(String key, JsonObject criteria) {
  }

  private final Map<DiscoverRequest, QueryKey> queryKeys = new HashMap<>();

  private Future<Buffer> discover(Caller caller, DiscoverRequest request) {
    ops.requireReady();
    QueryKey q = queryKeys.get(request);
    if (q == null) {
      JsonObject criteria = ProtoMapping.query(request);
      if (queryKeys.size() >= Math.max(1, registry.queryCacheSize())) {
        queryKeys.clear();
      }
      // Cached beside REST's answers, under a key of its own.
      q = new QueryKey("grpc:" + criteria.encode(), criteria);
      queryKeys.put(request, q);
    }
    RegistryOperations.Discovery d = ops.cachedDiscovery(caller, q.key());
    if (d == null) {
      d = ops.discover(caller, q.key(), Queries.fromJson(q.criteria()));
    }
    byte[] instances = d.answer().encoded(entries -> DiscoverResponse.newBuilder()
        .addAllInstances(entries.stream().map(ProtoMapping::instance).toList()).build().toByteArray());
    byte[] revision = DiscoverResponse.newBuilder().setRevision(d.revision()).build().toByteArray();
    return Future.succeededFuture(Buffer.buffer(revision.length + instances.length).appendBytes(revision)
        .appendBytes(instances));
  }

  // ---------------------------------------------------------------- streams

  /**
   * A place among grpc.maxClients and among the caller's streams, or the call is refused; the places are given back
   * by {@link #release}.
   */
  private boolean admit(Caller caller, GrpcServerResponse<?, ?> response) {
    try {
      access.openStream(caller);
    } catch (ApiException e) {
      fail(response, e);
      return false;
    }
    if (!stats.grpcStreamOpened(grpc.maxClients())) {
      access.closeStream(caller);
      GrpcErrors.end(response, GrpcStatus.RESOURCE_EXHAUSTED, "too_many_clients: this node holds "
          + grpc.maxClients() + " streams (grpc.maxClients); use another node or retry later");
      return false;
    }
    return true;
  }

  private void release(Caller caller) {
    stats.grpcStreamClosed();
    access.closeStream(caller);
  }

  private void watch(GrpcServerRequest<WatchRequest, WatchEvent> call) {
    call.handler(request -> {
      try {
        ops.requireReady();
        if (node.leaving()) {
          throw leaving();
        }
        Caller caller = caller(call);
        EventFilter filter = EventFilter.of(blankToNull(request.getName()), blankToNull(request.getTag()),
            access, caller);
        if (request.hasFromRevision() && (request.getFromRevision() < 0 || request.getFromEvent() < 0)) {
          throw new ApiException(400, "invalid_since", "from_revision and from_event are revisions and counts, at least 0",
              "from_revision");
        }
        if (!admit(caller, call.response())) {
          return;
        }
        GrpcWatcher watcher = new GrpcWatcher(call, filter, closed -> {
          hub.remove(closed);
          watchers.remove(closed);
          release(caller);
        });
        watchers.add(watcher);
        if (request.hasFromRevision()) {
          // from_event n: the client has the first n events of that revision (0: all of it).
          hub.watchFrom(watcher, request.getFromRevision(), request.getFromEvent() > 0 ? request.getFromEvent() - 1 : -1);
        } else {
          hub.watchWithSnapshot(watcher);
        }
      } catch (RuntimeException e) {
        fail(call.response(), e);
      }
    });
  }

  /** An agent's link, served by {@link GrpcHeartbeats} once the caller is known and has a place. */
  private void heartbeat(GrpcServerRequest<HeartbeatMessage, HeartbeatReply> call) {
    Caller caller;
    try {
      caller = caller(call);
    } catch (ApiException e) {
      fail(call.response(), e);
      return;
    }
    if (admit(caller, call.response())) {
      heartbeats.serve(call, caller, () -> release(caller));
    }
  }

  // ---------------------------------------------------------------- leaving

  /** A node that is leaving ends its streams, naming another node, so that clients resume there at once. */
  private void closeForLeaving() {
    String other = otherNodeAddress();
    for (GrpcWatcher w : Set.copyOf(watchers)) {
      w.close(other == null ? "" : other);
    }
    heartbeats.closeAll(this::leaving);
  }

  private ApiException leaving() {
    return ops.leavingError("this node is shutting down; call another node");
  }

  private void fail(GrpcServerResponse<?, ?> response, Throwable failure) {
    GrpcErrors.fail(response, failure, this::otherNodeAddress);
  }

  /** Another alive node's gRPC address (host:port), or null. */
  private String otherNodeAddress() {
    NodeInfo other = node.anotherNode();
    return other == null ? null : other.grpcAddress();
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
