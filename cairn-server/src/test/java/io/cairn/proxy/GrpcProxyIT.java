package io.cairn.proxy;

import com.google.rpc.ErrorInfo;
import io.cairn.support.GrpcEchoServer;
import io.cairn.support.GrpcProxyNode;
import io.cairn.support.Observers;
import io.cairn.support.RawGrpc;
import io.cairn.support.TestNodes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * gRPC through a node's proxy, with grpc-java on both sides ({@link GrpcEchoServer} behind, a plain channel in front)
 * on {@code proxy.grpcPort}: the four call shapes, metadata both ways, an error's status, message, details and
 * binary trailers as the instance sent them, a deadline (the caller's, and the proxy's when neither end keeps it), an
 * instance killed mid-stream, retries by gRPC's rules (what an instance refused before answering, never what it
 * failed after a message or with another status), routing by authority and by a path-prefix route, the gateway's own
 * refusals as gRPC statuses, and HTTP/1 turned away from the port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GrpcProxyIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Metadata.Key<String> ATTEMPTS = Metadata.Key.of("x-cairn-attempts",
      Metadata.ASCII_STRING_MARSHALLER);

  private GrpcProxyNode node;
  private int grpcPort;
  private Process doomed;
  private RawGrpc raw;

  @BeforeAll
  void start() throws Exception {
    node = new GrpcProxyNode();
    grpcPort = node.grpcPort;
    node.echo("echo-a", "echo", "A");
    node.echo("routed-r", "routed", "R");
    node.put("/v1/routes/routed", new JsonObject().put("match", new JsonObject()
        .put("pathPrefix", "/cairn.test.Routed/")).put("service", "routed"));
    node.put("/v1/routes/empty", new JsonObject().put("match", new JsonObject().put("pathPrefix", "/cairn.test.Empty/"))
        .put("service", "nobody-registered-this"));
    Server f1 = node.echo("flaky-1", "flaky", "F1");
    node.echo("flaky-2", "flaky", "F2");
    // Round-robin (a host route's default) over a port nothing listens on and a live server.
    node.register("refused-dead", "refused", TestNodes.freePort());
    node.register("refused-live", "refused", f1.getPort());
    raw = new RawGrpc();
    node.register("held-h", "held", raw.startHeldInstance());
  }

  @AfterAll
  void stop() {
    if (doomed != null) {
      doomed.destroyForcibly();
    }
    if (raw != null) {
      raw.close();
    }
    if (node != null) {
      node.close();
    }
  }

  // ------------------------------------------------------------------------------------------------------ cases

  @Test
  void aUnaryCallRoutedByAuthorityReachesTheInstanceWithItsMetadataBothWays() {
    Metadata headers = new Metadata();
    headers.put(GrpcEchoServer.NOTE, "from the caller");
    headers.put(GrpcEchoServer.NOTE_BIN, new byte[]{0, (byte) 0x80, (byte) 0xff});
    AtomicReference<Metadata> answered = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    var channel = ClientInterceptors.intercept(node.channel("echo.cairn"),
        MetadataUtils.newAttachHeadersInterceptor(headers),
        MetadataUtils.newCaptureMetadataInterceptor(answered, trailers));

    String reply = ClientCalls.blockingUnaryCall(channel, GrpcEchoServer.WHO, options(), "hello");

    assertThat(reply).isEqualTo("A:hello");
    assertThat(answered.get().get(GrpcEchoServer.NOTE)).isEqualTo("from the caller");
    assertThat(answered.get().get(GrpcEchoServer.NOTE_BIN)).containsExactly(0, 0x80, 0xff);
    assertThat(answered.get().get(ATTEMPTS)).isEqualTo("1");
    assertThat(trailers.get().get(Metadata.Key.of("grpc-status", Metadata.ASCII_STRING_MARSHALLER))).isNull();
  }

  @Test
  void aServerStreamingCallDeliversEveryMessageInOrder() {
    Iterator<String> stream = ClientCalls.blockingServerStreamingCall(node.channel("echo.cairn"), GrpcEchoServer.COUNT,
        options(), "100");
    List<String> got = new ArrayList<>();
    stream.forEachRemaining(got::add);
    assertThat(got).hasSize(100);
    assertThat(got.get(0)).isEqualTo("A:0");
    assertThat(got.get(99)).isEqualTo("A:99");
  }

  @Test
  void aClientStreamingCallLargerThanTheRetryCopyStreamsWhole() {
    List<String> reply = new CopyOnWriteArrayList<>();
    AtomicReference<Status> ended = new AtomicReference<>();
    StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
        node.channel("echo.cairn").newCall(GrpcEchoServer.JOIN, options()), Observers.collect(reply, ended));
    String chunk = "x".repeat(4096);
    for (int i = 0; i < 50; i++) {
      requests.onNext(chunk);
    }
    requests.onCompleted();
    await("the call ends").atMost(WAIT).until(() -> ended.get() != null);
    assertThat(ended.get().getCode()).isEqualTo(Status.Code.OK);
    assertThat(reply).containsExactly("A:50:" + 50 * 4096);
  }

  @Test
  void aBidirectionalCallPingPongsBeforeTheCallerHalfCloses() {
    List<String> pongs = new CopyOnWriteArrayList<>();
    AtomicReference<Status> ended = new AtomicReference<>();
    StreamObserver<String> pings = ClientCalls.asyncBidiStreamingCall(
        node.channel("echo.cairn").newCall(GrpcEchoServer.CHAT, options()), Observers.collect(pongs, ended));
    for (int i = 0; i < 5; i++) {
      int sent = i + 1;
      pings.onNext("ping-" + i);
      // Each answer comes back while the call is still open: the proxy holds no message back.
      await("pong " + i).atMost(WAIT).until(() -> pongs.size() >= sent || ended.get() != null);
      assertThat(pongs).hasSize(sent).last().isEqualTo("pong:ping-" + i);
    }
    pings.onCompleted();
    await("the call ends").atMost(WAIT).until(() -> ended.get() != null);
    assertThat(ended.get().getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void anErrorReachesTheCallerWithItsCodeMessageDetailsAndTrailersAsTheInstanceSentThem() throws Exception {
    StatusRuntimeException e = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(node.channel("echo.cairn"),
        GrpcEchoServer.FAIL, options(), "x"), StatusRuntimeException.class);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).isEqualTo(GrpcEchoServer.FAILURE_MESSAGE);
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    assertThat(details).as("grpc-status-details-bin").isNotNull();
    assertThat(details.getDetailsList()).singleElement().satisfies(any -> {
      ErrorInfo info = any.unpack(ErrorInfo.class);
      assertThat(info.getReason()).isEqualTo("QUOTA");
      assertThat(info.getMetadataMap()).containsEntry("served-by", "A");
    });
    Metadata trailers = Status.trailersFromThrowable(e);
    assertThat(trailers.get(GrpcEchoServer.DETAIL_BIN)).containsExactly(GrpcEchoServer.DETAIL_BYTES);
    assertThat(trailers.get(GrpcEchoServer.NOTE)).isEqualTo("kept as sent");
  }

  @Test
  void aCallPastItsDeadlineEndsDeadlineExceededAndTheInstanceSeesTheCancel() {
    int before = GrpcEchoServer.cancelledSlowCalls();
    long t0 = System.nanoTime();
    StatusRuntimeException e = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(node.channel("echo.cairn"),
        GrpcEchoServer.SLOW, CallOptions.DEFAULT.withDeadlineAfter(700, TimeUnit.MILLISECONDS), "x"),
        StatusRuntimeException.class);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    await("the instance's call is cancelled").atMost(WAIT)
        .until(() -> GrpcEchoServer.cancelledSlowCalls() > before);
  }

  @Test
  void aCallStillOpenPastItsGrpcTimeoutIsEndedByTheProxyDeadlineExceededAndResetAtTheInstance() throws Exception {
    // Neither end keeps the deadline here (a raw caller, an instance that holds every call): the proxy must.
    int resets = raw.heldResets();
    long t0 = System.nanoTime();
    RawGrpc.Answer answer = raw.call(grpcPort, "held.cairn", "/cairn.test.Echo/Slow", "x",
        Map.of("grpc-timeout", "200m"));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.headers().get("grpc-status")).as("trailers-only").isEqualTo("4");
    assertThat(answer.headers().get("grpc-message")).contains("grpc-timeout of 200 ms");
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(200)).isLessThan(Duration.ofSeconds(30));
    assertThat(raw.heldCalls()).last().satisfies(h -> assertThat(h.get("grpc-timeout")).isEqualTo("200m"));
    await("the instance's stream is reset").atMost(WAIT).until(() -> raw.heldResets() > resets);
  }

  @Test
  void anInstanceKilledMidStreamGivesUnavailableAndTheNextCallGoesToALiveOne() throws Exception {
    int port = TestNodes.freePort();
    doomed = GrpcEchoServer.startProcess(port, "K");
    node.register("ticker-k", "ticker", port);
    Iterator<String> ticks = ClientCalls.blockingServerStreamingCall(node.channel("ticker.cairn"), GrpcEchoServer.TICK,
        CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS), "go");
    for (int i = 0; i < 3; i++) {
      assertThat(ticks.next()).isEqualTo("K:" + i);
    }
    node.echo("ticker-l", "ticker", "L");

    doomed.destroyForcibly();
    assertThat(doomed.waitFor(30, TimeUnit.SECONDS)).isTrue();
    StatusRuntimeException e = catchThrowableOfType(() -> {
      while (ticks.hasNext()) {
        ticks.next();
      }
    }, StatusRuntimeException.class);

    assertThat(e).as("the stream ends in an error, not as if complete").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("ticker-k");
    // The dead instance is still registered (no health check): its refused connection is retried on the live one.
    for (int i = 0; i < 3; i++) {
      assertThat(ClientCalls.blockingUnaryCall(node.channel("ticker.cairn"), GrpcEchoServer.WHO, options(), "again"))
          .isEqualTo("L:again");
    }
  }

  @Test
  void aPathPrefixRouteOnTheGrpcServiceNameRoutesWhateverTheAuthority() {
    MethodDescriptor<String, String> routedWho = GrpcEchoServer.method("cairn.test.Routed", "Who",
        MethodDescriptor.MethodType.UNARY);
    assertThat(ClientCalls.blockingUnaryCall(node.channel("127.0.0.1:" + grpcPort), routedWho, options(), "via route"))
        .isEqualTo("R:via route");
  }

  @Test
  void theGatewaysOwnRefusalsAreGrpcStatusesNotProtocolErrors() {
    StatusRuntimeException unknown = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(
        node.channel("nobody.cairn"), GrpcEchoServer.WHO, options(), "x"), StatusRuntimeException.class);
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(unknown.getStatus().getDescription()).contains("no service 'nobody' is registered");

    MethodDescriptor<String, String> emptyWho = GrpcEchoServer.method("cairn.test.Empty", "Who",
        MethodDescriptor.MethodType.UNARY);
    StatusRuntimeException none = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(
        node.channel("127.0.0.1:" + grpcPort), emptyWho, options(), "x"), StatusRuntimeException.class);
    assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(none.getStatus().getDescription()).contains("has no instance in rotation");
  }

  @Test
  void anHttp1RequestOnTheGrpcPortIsRefusedNamingTheOtherPort() throws Exception {
    HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = http1.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + grpcPort + "/x"))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(505);
    assertThat(new JsonObject(r.body()).getString("message")).contains("proxy.port");
  }

  @Test
  void aUnaryCallRefusedUnavailableBeforeAnyMessageIsRetriedOnAnotherInstance() {
    AtomicReference<Metadata> answered = new AtomicReference<>();
    String reply = ClientCalls.blockingUnaryCall(flaky("unary-retried", null, answered), GrpcEchoServer.FLAKY,
        options(), "again");

    assertThat(reply).matches("F[12]:again");
    assertThat(GrpcEchoServer.calls("unary-retried")).as("calls that reached an instance").isEqualTo(2);
    assertThat(answered.get().get(ATTEMPTS)).isEqualTo("2");
  }

  @Test
  void aCallWhoseConnectionIsRefusedIsRetriedOnAnotherInstance() {
    // Round-robin over two instances: one of two calls in a row tries the dead one first (after that it may be
    // ejected, and the second goes to the live one at once).
    List<String> attempts = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      AtomicReference<Metadata> answered = new AtomicReference<>();
      var channel = ClientInterceptors.intercept(node.channel("refused.cairn"),
          MetadataUtils.newCaptureMetadataInterceptor(answered, new AtomicReference<>()));
      assertThat(ClientCalls.blockingUnaryCall(channel, GrpcEchoServer.WHO, options(), "call " + i))
          .isEqualTo("F1:call " + i);
      attempts.add(answered.get().get(ATTEMPTS));
    }
    assertThat(attempts).contains("2");
  }

  @Test
  void anInstancesOtherStatusesAreNotRetried() {
    StatusRuntimeException e = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(
        flaky("internal-kept", "INTERNAL", null), GrpcEchoServer.FLAKY, options(), "x"), StatusRuntimeException.class);

    assertThat(e).as("the call fails, not retried into a success").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).endsWith("fails the first call");
    assertThat(GrpcEchoServer.calls("internal-kept")).isEqualTo(1);
    assertThat(Status.trailersFromThrowable(e).get(ATTEMPTS)).isEqualTo("1");
  }

  @Test
  void aStreamThatFailsUnavailableAfterAMessageIsNotRetried() {
    Iterator<String> stream = ClientCalls.blockingServerStreamingCall(flaky("stream-broken", null, null),
        GrpcEchoServer.BREAKS, options(), "go");
    assertThat(stream.next()).matches("F[12]:0");
    StatusRuntimeException e = catchThrowableOfType(stream::hasNext, StatusRuntimeException.class);

    assertThat(e).as("the stream ends in an error").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).endsWith("broke after one message");
    assertThat(GrpcEchoServer.calls("stream-broken")).isEqualTo(1);
  }

  @Test
  void aClientStreamRefusedUnavailableIsRetriedOnlyWhileTheProxyStillHasItWhole() {
    // 16 KB: the proxy kept all of it, so another instance gets it whole.
    AtomicReference<Status> small = new AtomicReference<>();
    List<String> reply = join("join-small", 4, small);
    assertThat(small.get().getCode()).isEqualTo(Status.Code.OK);
    assertThat(reply).singleElement().asString().matches("F[12]:4:" + 4 * 4096);
    assertThat(GrpcEchoServer.calls("join-small")).isEqualTo(2);

    // 80 KB, past the 64 KB the proxy keeps: no copy to send again, so the caller gets the refusal.
    AtomicReference<Status> large = new AtomicReference<>();
    assertThat(join("join-large", 20, large)).isEmpty();
    assertThat(large.get().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(large.get().getDescription()).endsWith("fails the first call");
    assertThat(GrpcEchoServer.calls("join-large")).isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /** A channel to the flaky service whose calls carry {@code x-call-id} (and {@code x-fail-with} when not null). */
  private Channel flaky(String callId, String failWith, AtomicReference<Metadata> answered) {
    Metadata headers = new Metadata();
    headers.put(GrpcEchoServer.CALL_ID, callId);
    if (failWith != null) {
      headers.put(GrpcEchoServer.FAIL_WITH, failWith);
    }
    return ClientInterceptors.intercept(node.channel("flaky.cairn"), MetadataUtils.newAttachHeadersInterceptor(headers),
        MetadataUtils.newCaptureMetadataInterceptor(answered == null ? new AtomicReference<>() : answered,
            new AtomicReference<>()));
  }

  /** A {@link GrpcEchoServer#FLAKY_JOIN} of {@code chunks} messages of 4 KB; the messages it answered. */
  private List<String> join(String callId, int chunks, AtomicReference<Status> ended) {
    List<String> reply = new CopyOnWriteArrayList<>();
    StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
        flaky(callId, null, null).newCall(GrpcEchoServer.FLAKY_JOIN, options()), Observers.collect(reply, ended));
    for (int i = 0; i < chunks; i++) {
      requests.onNext("x".repeat(4096));
    }
    requests.onCompleted();
    await("the call ends").atMost(WAIT).until(() -> ended.get() != null);
    return reply;
  }

  private static CallOptions options() {
    return CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
  }
}
