package io.cairn.grpc;

import io.cairn.grpc.v1.Instance;
import io.cairn.grpc.v1.RegisterRequest;
import io.cairn.grpc.v1.RegistryGrpc;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.cairn.node.Addresses;
import io.cairn.support.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.vertx.core.eventbus.DeliveryOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** A node that is leaving says so over gRPC: a Watch gets a goodbye naming another node, writes UNAVAILABLE with it. */
class GrpcLeavingTest {
  private static final Metadata.Key<String> RETRY_AT = Metadata.Key.of("cairn-retry-at", Metadata.ASCII_STRING_MARSHALLER);
  private TestNodes cluster;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cluster.close();
  }

  @Test
  void aLeavingNodeEndsWatchesWithAGoodbyeAndRefusesWritesNamingAnotherNode() {
    cluster = new TestNodes(2);
    TestNodes.Node a = cluster.start(0);
    TestNodes.Node b = cluster.start(1);
    String other = "127.0.0.1:" + a.httpPort();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", b.httpPort()).usePlaintext().build();

    List<WatchEvent> events = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> ended = new AtomicReference<>();
    RegistryGrpc.newStub(channel).watch(WatchRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(WatchEvent value) {
        events.add(value);
      }

      @Override
      public void onError(Throwable t) {
        ended.set(t);
      }

      @Override
      public void onCompleted() {
        ended.set(new IllegalStateException("a watch ended without a status"));
      }
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());

    b.vertx().eventBus().request(Addresses.LEAVE, null, new DeliveryOptions().setLocalOnly(true).setSendTimeout(60_000));
    await().atMost(Duration.ofSeconds(10)).until(() -> ended.get() != null);
    assertThat(events).anySatisfy(e -> {
      assertThat(e.getType()).isEqualTo("goodbye");
      assertThat(e.getReconnect()).isEqualTo(other);
    });
    assertThat(Status.fromThrowable(ended.get()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(Status.trailersFromThrowable(ended.get()).get(RETRY_AT)).isEqualTo(other);

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () ->
        RegistryGrpc.newBlockingStub(channel).register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
            .setId("late-1").setName("late").setAddress("127.0.0.1").setPort(80)).build()));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(refused.getStatus().getDescription()).contains("leaving");
    assertThat(refused.getTrailers().get(RETRY_AT)).isEqualTo(other);
  }
}
