package io.cairn.grpc;

import io.cairn.grpc.v1.Check;
import io.cairn.grpc.v1.DiscoverRequest;
import io.cairn.grpc.v1.DiscoverResponse;
import io.cairn.grpc.v1.HeartbeatMessage;
import io.cairn.grpc.v1.HeartbeatReply;
import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.InstanceRef;
import io.cairn.grpc.v1.ListNodesRequest;
import io.cairn.grpc.v1.ListNodesResponse;
import io.cairn.grpc.v1.ListRoutesRequest;
import io.cairn.grpc.v1.ListRoutesResponse;
import io.cairn.grpc.v1.Ping;
import io.cairn.grpc.v1.PutRouteRequest;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegisterResponse;
import io.cairn.grpc.v1.RegistryGrpc;
import io.cairn.grpc.v1.RouteRef;
import io.cairn.grpc.v1.RouteResponse;
import io.cairn.grpc.v1.ShutdownNotice;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.support.Http;
import io.cairn.support.Observers;
import io.cairn.support.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Every RPC of cairn.v1.Registry, the standard health service and server reflection, called with grpc-java (a
 * client that is not Vert.x) over HTTP/2 cleartext on the nodes' HTTP port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcInteropTest {
  private TestNodes cluster;
  private ManagedChannel a;
  private ManagedChannel b;
  private RegistryGrpc.RegistryBlockingStub onA;
  private RegistryGrpc.RegistryBlockingStub onB;

  @BeforeAll
  void start() {
    cluster = new TestNodes(2);
    JsonObject limits = new JsonObject().put("grpc", new JsonObject().put("clientTimeout", "1s"));
    a = channel(cluster.start(0, limits).httpPort());
    b = channel(cluster.start(1, limits).httpPort());
    onA = RegistryGrpc.newBlockingStub(a).withDeadlineAfter(1, TimeUnit.MINUTES);
    onB = RegistryGrpc.newBlockingStub(b).withDeadlineAfter(1, TimeUnit.MINUTES);
  }

  @AfterAll
  void stop() throws InterruptedException {
    a.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    b.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cluster.close();
  }

  private static ManagedChannel channel(int port) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static Instance.Builder instance(String name, String id) {
    return Instance.newBuilder().setId(id).setName(name).setAddress("127.0.0.1").setPort(8080);
  }

  @Test
  void registerGetDiscoverAndDeregisterAcrossNodes() {
    String name = unique("grpc");
    RegisterResponse created = onA.register(RegisterRequest.newBuilder()
        .setInstance(instance(name, name + "-1").setVersion("1.2.0").addTags("blue").putMetadata("team", "core")
            .setZone("z1"))
        .build());
    assertThat(created.getCreated()).isTrue();
    assertThat(created.getInstance().getNode()).isEqualTo("n1");
    assertThat(created.getInstance().getHealth()).isEqualTo("healthy");
    RegisterResponse replaced = onB.register(RegisterRequest.newBuilder()
        .setInstance(instance(name, name + "-1").setVersion("1.3.0")).build());
    assertThat(replaced.getCreated()).isFalse();
    assertThat(replaced.getInstance().getRevision()).isGreaterThan(created.getInstance().getRevision());
    RegisterResponse generated = onA.register(RegisterRequest.newBuilder()
        .setInstance(instance(name, "").setCheck(Check.newBuilder().setType("tcp").setInterval("5s"))).build());
    assertThat(generated.getInstance().getId()).startsWith(name + "-");
    assertThat(generated.getInstance().getCheck().getInterval()).isEqualTo("5s");
    assertThat(generated.getInstance().getHealth()).isEqualTo("unknown");

    // Written on a, read on b: wait until b has applied the last of them.
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        onB.get(InstanceRef.newBuilder().setId(name + "-1").build()).getVersion().equals("1.3.0")
            && onB.get(InstanceRef.newBuilder().setId(generated.getInstance().getId()).build()) != null);
    DiscoverResponse all = onB.discover(DiscoverRequest.newBuilder().setName(name).setStatus("any").build());
    assertThat(all.getInstancesList()).extracting(Instance::getId)
        .containsExactlyInAnyOrder(name + "-1", generated.getInstance().getId());
    DiscoverResponse passing = onB.discover(DiscoverRequest.newBuilder().setName(name).build());
    assertThat(passing.getInstancesList()).extracting(Instance::getId).containsExactly(name + "-1");
    assertThat(passing.getRevision()).isGreaterThanOrEqualTo(replaced.getInstance().getRevision());
    assertThat(onB.discover(DiscoverRequest.newBuilder().setName(name).setVersion("^1.3").build()).getInstancesCount())
        .isEqualTo(1);

    Instance removed = onB.deregister(InstanceRef.newBuilder().setId(name + "-1").build());
    assertThat(removed.getId()).isEqualTo(name + "-1");
    StatusRuntimeException gone = catchThrowableOfType(StatusRuntimeException.class,
        () -> onB.get(InstanceRef.newBuilder().setId(name + "-1").build()));
    assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void failuresCarryTheirStatusCodeAndTheFieldAtFault() {
    StatusRuntimeException invalid = catchThrowableOfType(StatusRuntimeException.class, () -> onA.register(
        RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setName("no-port").setAddress("127.0.0.1")).build()));
    assertThat(invalid.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(invalid.getStatus().getDescription()).contains("port");
    assertThat(invalid.getTrailers().get(Metadata.Key.of("cairn-field", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("port");

    String name = unique("cas");
    onA.register(RegisterRequest.newBuilder().setInstance(instance(name, name + "-1")).build());
    StatusRuntimeException cas = catchThrowableOfType(StatusRuntimeException.class, () -> onA.register(
        RegisterRequest.newBuilder().setInstance(instance(name, name + "-1")).setCas(1).build()));
    assertThat(cas.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    StatusRuntimeException exists = catchThrowableOfType(StatusRuntimeException.class, () -> onA.register(
        RegisterRequest.newBuilder().setInstance(instance(name, name + "-1")).setCas(0).build()));
    assertThat(exists.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    StatusRuntimeException missing = catchThrowableOfType(StatusRuntimeException.class,
        () -> onA.drain(InstanceRef.newBuilder().setId(unique("nobody")).build()));
    assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void routesArePutReadListedAndDeletedAsTheJsonDocumentOfRest() {
    String id = unique("route");
    JsonObject document = new JsonObject().put("service", "users")
        .put("match", new JsonObject().put("pathPrefix", "/api/users/").put("methods", new JsonArray().add("GET")))
        .put("stripPrefix", true).put("timeouts", new JsonObject().put("try", "5s"));
    RouteResponse created = onA.putRoute(PutRouteRequest.newBuilder().setId(id).setRouteJson(document.encode())
        .build());
    assertThat(created.getCreated()).isTrue();
    assertThat(created.getRoute().getSource()).isEqualTo("log");
    assertThat(created.getRoute().getRevision()).isEqualTo(created.getRevision()).isPositive();
    JsonObject shown = new JsonObject(created.getRoute().getRouteJson());
    assertThat(shown.getString("id")).isEqualTo(id);
    assertThat(shown.getJsonObject("match").getString("pathPrefix")).isEqualTo("/api/users/");
    assertThat(shown.getJsonObject("timeouts").getString("try")).isEqualTo("5s");
    assertThat(shown.getString("balance")).isEqualTo("round-robin");

    RouteResponse read = onA.getRoute(RouteRef.newBuilder().setId(id).build());
    assertThat(read.getRoute()).isEqualTo(created.getRoute());
    assertThat(read.getRevision()).isGreaterThanOrEqualTo(created.getRevision());
    // The same document as REST's.
    assertThat(Http.get(cluster.nodes().get(0).base() + "/v1/routes/" + id).json()).isEqualTo(shown);
    // Written on a, listed on b once b has applied it.
    await().atMost(Duration.ofSeconds(10)).until(() -> onB.listRoutes(ListRoutesRequest.getDefaultInstance())
        .getRoutesList().stream().anyMatch(r -> r.getId().equals(id)));
    ListRoutesResponse listed = onB.listRoutes(ListRoutesRequest.getDefaultInstance());
    assertThat(listed.getRevision()).isGreaterThanOrEqualTo(created.getRevision());
    assertThat(listed.getRoutesList()).filteredOn(r -> r.getId().equals(id)).containsExactly(created.getRoute());

    // A changed document, compare-and-set against the revision the put answered.
    RouteResponse replaced = onA.putRoute(PutRouteRequest.newBuilder().setId(id)
        .setRouteJson(document.copy().put("retries", 1).encode()).setCas(created.getRevision()).build());
    assertThat(replaced.getCreated()).isFalse();
    assertThat(new JsonObject(replaced.getRoute().getRouteJson()).getInteger("retries")).isEqualTo(1);
    StatusRuntimeException stale = catchThrowableOfType(StatusRuntimeException.class, () -> onA.putRoute(
        PutRouteRequest.newBuilder().setId(id).setRouteJson(document.encode()).setCas(created.getRevision()).build()));
    assertThat(stale.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(stale.getTrailers().get(Metadata.Key.of("cairn-error", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("cas_failed");

    // Validated as REST validates it: the field at fault in the message and the trailer.
    StatusRuntimeException invalid = catchThrowableOfType(StatusRuntimeException.class, () -> onA.putRoute(
        PutRouteRequest.newBuilder().setId(id).setRouteJson(document.copy().put("timeouts",
            new JsonObject().put("try", "soon")).encode()).build()));
    assertThat(invalid.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(invalid.getStatus().getDescription()).contains("timeouts.try");
    assertThat(invalid.getTrailers().get(Metadata.Key.of("cairn-field", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("timeouts.try");
    StatusRuntimeException notJson = catchThrowableOfType(StatusRuntimeException.class, () -> onA.putRoute(
        PutRouteRequest.newBuilder().setId(id).setRouteJson("{\"service\": ").build()));
    assertThat(notJson.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(notJson.getTrailers().get(Metadata.Key.of("cairn-field", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("route_json");
    assertThat(onA.getRoute(RouteRef.newBuilder().setId(id).build()).getRoute()).isEqualTo(replaced.getRoute());

    RouteResponse deleted = onA.deleteRoute(RouteRef.newBuilder().setId(id).build());
    assertThat(deleted.getRoute()).isEqualTo(replaced.getRoute());
    assertThat(deleted.getRevision()).isGreaterThan(replaced.getRevision());
    StatusRuntimeException gone = catchThrowableOfType(StatusRuntimeException.class,
        () -> onA.getRoute(RouteRef.newBuilder().setId(id).build()));
    assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(catchThrowableOfType(StatusRuntimeException.class,
        () -> onA.deleteRoute(RouteRef.newBuilder().setId(id).build())).getStatus().getCode())
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void enableDisableAndDrainMoveAnInstanceInAndOutOfDiscovery() {
    String name = unique("rotation");
    onA.register(RegisterRequest.newBuilder().setInstance(instance(name, name + "-1")).build());
    InstanceRef ref = InstanceRef.newBuilder().setId(name + "-1").build();
    assertThat(onA.disable(ref).getEnabled()).isFalse();
    assertThat(onA.discover(DiscoverRequest.newBuilder().setName(name).build()).getInstancesCount()).isZero();
    assertThat(onA.enable(ref).getEnabled()).isTrue();
    assertThat(onA.discover(DiscoverRequest.newBuilder().setName(name).build()).getInstancesCount()).isEqualTo(1);
    assertThat(onA.drain(ref).getDraining()).isTrue();
    assertThat(onA.discover(DiscoverRequest.newBuilder().setName(name).build()).getInstancesCount()).isZero();
  }

  @Test
  void listNodesGivesEveryMemberWithItsAddressesAndTheLeader() {
    ListNodesResponse nodes = onB.listNodes(ListNodesRequest.getDefaultInstance());
    assertThat(nodes.getNodesList()).extracting(io.cairn.grpc.v1.Node::getId).containsExactly("n1", "n2");
    assertThat(nodes.getLeader()).isIn("n1", "n2");
    assertThat(nodes.getNodesList()).allSatisfy(n -> {
      assertThat(n.getStatus()).isEqualTo("alive");
      assertThat(n.getGrpcAddress()).isEqualTo("127.0.0.1:" + n.getHttpPort());
    });
    assertThat(nodes.getNodesList()).filteredOn(n -> n.getRole().equals("leader")).hasSize(1);
  }

  @Test
  void watchGivesASnapshotThenEventsAndResumesOnAnotherNodeWithNoGapAndNoDuplicate() throws Exception {
    String name = unique("watch");
    onA.register(RegisterRequest.newBuilder().setInstance(instance(name, name + "-0")).build());
    List<WatchEvent> first = new CopyOnWriteArrayList<>();
    io.grpc.Context.CancellableContext watching = io.grpc.Context.current().withCancellation();
    watching.run(() -> RegistryGrpc.newStub(a).watch(WatchRequest.newBuilder().setName(name).build(), collect(first)));
    await().atMost(Duration.ofSeconds(5)).until(() -> !first.isEmpty());
    assertThat(first.get(0).getType()).isEqualTo("snapshot");
    assertThat(first.get(0).getInstancesList()).extracting(Instance::getId).containsExactly(name + "-0");
    for (int i = 1; i <= 3; i++) {
      onB.register(RegisterRequest.newBuilder().setInstance(instance(name, name + "-" + i)).build());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> registered(first).size() == 3);
    watching.cancel(null);
    WatchEvent last = first.stream().filter(e -> e.getType().equals("serviceRegistered")).reduce((x, y) -> y).orElseThrow();

    for (int i = 4; i <= 6; i++) {
      onA.register(RegisterRequest.newBuilder().setInstance(instance(name, name + "-" + i)).build());
    }
    List<WatchEvent> resumed = new CopyOnWriteArrayList<>();
    RegistryGrpc.newStub(b).watch(WatchRequest.newBuilder().setName(name).setFromRevision(last.getRevision())
        .setFromEvent(1).build(), collect(resumed));
    await().atMost(Duration.ofSeconds(5)).until(() -> registered(resumed).size() == 3);
    assertThat(registered(first)).containsExactly(name + "-1", name + "-2", name + "-3");
    assertThat(registered(resumed)).containsExactly(name + "-4", name + "-5", name + "-6");
    assertThat(resumed).noneMatch(e -> e.getType().equals("snapshot"));
  }

  @Test
  void aWatchCarriesTheRoutesOfItsServiceInItsSnapshotAndTheirChangesAsDocuments() {
    String name = unique("routed");
    String other = unique("elsewhere");
    JsonObject document = new JsonObject().put("service", name)
        .put("match", new JsonObject().put("pathPrefix", "/" + name + "/"));
    onA.putRoute(PutRouteRequest.newBuilder().setId(name).setRouteJson(document.encode()).build());
    onA.putRoute(PutRouteRequest.newBuilder().setId(other).setRouteJson(document.copy().put("service", other)
        .encode()).build());
    List<WatchEvent> events = new CopyOnWriteArrayList<>();
    io.grpc.Context.CancellableContext watching = io.grpc.Context.current().withCancellation();
    watching.run(() -> RegistryGrpc.newStub(a).watch(WatchRequest.newBuilder().setName(name).build(),
        collect(events)));
    await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
    // The snapshot holds this service's route, not the other service's.
    assertThat(events.get(0).getRoutesList()).extracting(r -> new JsonObject(r).getString("id")).containsExactly(name);
    assertThat(new JsonObject(events.get(0).getRoutes(0)).getJsonObject("match").getString("pathPrefix"))
        .isEqualTo("/" + name + "/");

    onB.putRoute(PutRouteRequest.newBuilder().setId(name).setRouteJson(document.copy().put("retries", 1).encode())
        .build());
    onB.deleteRoute(RouteRef.newBuilder().setId(name).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e.getType().equals("routeDeleted")));
    WatchEvent set = events.stream().filter(e -> e.getType().equals("routeSet")).findFirst().orElseThrow();
    assertThat(new JsonObject(set.getRoute()).getInteger("retries")).isEqualTo(1);
    WatchEvent deleted = events.stream().filter(e -> e.getType().equals("routeDeleted")).findFirst().orElseThrow();
    assertThat(new JsonObject(deleted.getRoute()).getString("id")).isEqualTo(name);
    watching.cancel(null);
    onA.deleteRoute(RouteRef.newBuilder().setId(other).build());
  }

  @Test
  void heartbeatsKeepATtlInstanceAliveAndAShutdownNoticeDrainsIt() throws InterruptedException {
    String name = unique("agent");
    String id = name + "-1";
    onA.register(RegisterRequest.newBuilder().setInstance(instance(name, id).setTtl("1500ms")).build());
    // Registered on a, pinged on b: b must have applied the registration, or it reports the id unknown.
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        onB.get(InstanceRef.newBuilder().setId(id).build()).getId().equals(id));
    List<HeartbeatReply> replies = new CopyOnWriteArrayList<>();
    AtomicReference<Status> ended = new AtomicReference<>();
    StreamObserver<HeartbeatMessage> link = RegistryGrpc.newStub(b).heartbeat(Observers.collect(replies, ended));
    // An agent pings every 400 ms; for two ttls the instance stays healthy, and every ping is answered.
    java.util.concurrent.ScheduledExecutorService agent = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();
    agent.scheduleAtFixedRate(() -> link.onNext(HeartbeatMessage.newBuilder().setPing(Ping.newBuilder()
        .addInstanceIds(id).addInstanceIds(name + "-unknown").setSequence(sequence.incrementAndGet())).build()),
        0, 400, TimeUnit.MILLISECONDS);
    try {
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
          .until(() -> onA.get(InstanceRef.newBuilder().setId(id).build()).getHealth().equals("healthy"));
    } finally {
      agent.shutdown();
      agent.awaitTermination(5, TimeUnit.SECONDS);
    }
    long sent = sequence.get();
    await().atMost(Duration.ofSeconds(2)).until(() -> replies.stream().filter(HeartbeatReply::hasPong)
        .map(r -> r.getPong().getSequence()).distinct().count() == sent);
    assertThat(replies.get(0).getPong().getUnknownIdsList()).containsExactly(name + "-unknown");

    link.onNext(HeartbeatMessage.newBuilder().setShutdown(ShutdownNotice.newBuilder().addInstanceIds(id)).build());
    await().atMost(Duration.ofSeconds(5)).until(() -> replies.stream().anyMatch(HeartbeatReply::hasDrained));
    assertThat(onA.get(InstanceRef.newBuilder().setId(id).build()).getDraining()).isTrue();
    link.onCompleted();
    await().atMost(Duration.ofSeconds(5)).until(() -> ended.get() != null);
    assertThat(ended.get().getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void aSilentHeartbeatStreamIsClosedAfterTheClientTimeout() {
    List<HeartbeatReply> replies = new CopyOnWriteArrayList<>();
    AtomicReference<Status> ended = new AtomicReference<>();
    RegistryGrpc.newStub(a).heartbeat(Observers.collect(replies, ended));
    await().atMost(Duration.ofSeconds(5)).until(() -> ended.get() != null);
    assertThat(ended.get().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(ended.get().getDescription()).contains("grpc.clientTimeout");
  }

  @Test
  void theStandardHealthServiceAndReflectionAnswer() {
    HealthCheckResponse health = HealthGrpc.newBlockingStub(a).check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(HealthGrpc.newBlockingStub(b).check(HealthCheckRequest.newBuilder().setService("cairn.v1.Registry")
        .build()).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

    List<ServerReflectionResponse> answers = new CopyOnWriteArrayList<>();
    AtomicReference<Status> ended = new AtomicReference<>();
    StreamObserver<ServerReflectionRequest> ask = ServerReflectionGrpc.newStub(a)
        .serverReflectionInfo(Observers.collect(answers, ended));
    ask.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    await().atMost(Duration.ofSeconds(5)).until(() -> !answers.isEmpty());
    ask.onCompleted();
    assertThat(answers.get(0).getListServicesResponse().getServiceList())
        .extracting(io.grpc.reflection.v1.ServiceResponse::getName).contains("cairn.v1.Registry", "grpc.health.v1.Health");
  }

  private static List<String> registered(List<WatchEvent> events) {
    return events.stream().filter(e -> e.getType().equals("serviceRegistered")).map(e -> e.getInstance().getId()).toList();
  }

  private static StreamObserver<WatchEvent> collect(List<WatchEvent> into) {
    return Observers.collect(into, new AtomicReference<>());
  }
}
