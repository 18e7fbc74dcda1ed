package io.cairn.grpc;

import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.ListNodesRequest;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegistryGrpc;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.support.Observers;
import io.cairn.support.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** grpc.port (a listener of its own) and grpc.maxClients (streams beyond it refused, those open unharmed). */
class GrpcLimitsTest {
  private TestNodes cluster;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    cluster.close();
  }

  @Test
  void streamsBeyondMaxClientsAreRefusedWhileOpenOnesKeepWorking() {
    int grpcPort = TestNodes.freePort();
    cluster = new TestNodes(1);
    TestNodes.Node node = cluster.start(0, new JsonObject().put("grpc", new JsonObject()
        .put("port", grpcPort).put("maxClients", 2)));
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    RegistryGrpc.RegistryStub stub = RegistryGrpc.newStub(channel);
    assertThat(RegistryGrpc.newBlockingStub(channel).listNodes(ListNodesRequest.getDefaultInstance())
        .getNodes(0).getGrpcAddress()).isEqualTo("127.0.0.1:" + grpcPort);

    List<WatchEvent> first = new CopyOnWriteArrayList<>();
    List<WatchEvent> second = new CopyOnWriteArrayList<>();
    stub.watch(WatchRequest.getDefaultInstance(), Observers.collect(first, new AtomicReference<>()));
    stub.watch(WatchRequest.getDefaultInstance(), Observers.collect(second, new AtomicReference<>()));
    await().atMost(Duration.ofSeconds(5)).until(() -> !first.isEmpty() && !second.isEmpty());

    AtomicReference<Status> refused = new AtomicReference<>();
    stub.watch(WatchRequest.getDefaultInstance(), Observers.collect(new CopyOnWriteArrayList<>(), refused));
    await().atMost(Duration.ofSeconds(5)).until(() -> refused.get() != null);
    assertThat(refused.get().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.get().getDescription()).contains("grpc.maxClients");

    RegistryGrpc.newBlockingStub(channel).register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
        .setId("limits-1").setName("limits").setAddress("127.0.0.1").setPort(80)).build());
    await().atMost(Duration.ofSeconds(5)).until(() -> List.of(first, second).stream().allMatch(events -> events.stream()
        .anyMatch(e -> e.getType().equals("serviceRegistered") && e.getInstance().getId().equals("limits-1"))));
    // The HTTP port serves REST only when gRPC has a port of its own.
    assertThat(io.cairn.support.Http.get(node.base() + "/v1/services/limits-1").status()).isEqualTo(200);
  }
}
