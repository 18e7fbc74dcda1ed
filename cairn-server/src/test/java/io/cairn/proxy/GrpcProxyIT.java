package io.cairn.proxy;

import com.google.rpc.ErrorInfo;
import io.cairn.support.GrpcEchoServer;
import io.cairn.support.Http;
import io.cairn.support.Observers;
import io.cairn.support.TestNodes;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * gRPC through a node's proxy, with grpc-java on both sides ({@link GrpcEchoServer} behind, a plain channel in front)
 * on {@code proxy.grpcPort}: the four call shapes, metadata both ways, an error's status, message, details and
 * binary trailers as the instance sent them, a deadline, an instance killed mid-stream, routing by authority and by a
 * path-prefix route, the gateway's own refusals as gRPC statuses, and HTTP/1 turned away from the port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GrpcProxyIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private TestNodes cluster;
  private String api;
  private int grpcPort;
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Process doomed;

  @BeforeAll
  void start() throws Exception {
    grpcPort = TestNodes.freePort();
    cluster = new TestNodes(1);
    TestNodes.Node node = cluster.start(0, new JsonObject().put("proxy", new JsonObject()
        .put("port", TestNodes.freePort()).put("grpcPort", grpcPort)));
    api = node.base();
    Server a = GrpcEchoServer.start(0, "A");
    servers.add(a);
    register("echo-a", "echo", a.getPort());
    Server r = GrpcEchoServer.start(0, "R");
    servers.add(r);
    register("routed-r", "routed", r.getPort());
    put("/v1/routes/routed", new JsonObject().put("match", new JsonObject().put("pathPrefix", "/cairn.test.Routed/"))
        .put("service", "routed"));
    put("/v1/routes/empty", new JsonObject().put("match", new JsonObject().put("pathPrefix", "/cairn.test.Empty/"))
        .put("service", "nobody-registered-this"));
  }

  @AfterAll
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
    if (doomed != null) {
      doomed.destroyForcibly();
    }
    if (cluster != null) {
      cluster.close();
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
    var channel = ClientInterceptors.intercept(channel("echo.cairn"),
        MetadataUtils.newAttachHeadersInterceptor(headers),
        MetadataUtils.newCaptureMetadataInterceptor(answered, trailers));

    String reply = ClientCalls.blockingUnaryCall(channel, GrpcEchoServer.WHO, options(), "hello");

    assertThat(reply).isEqualTo("A:hello");
    assertThat(answered.get().get(GrpcEchoServer.NOTE)).isEqualTo("from the caller");
    assertThat(answered.get().get(GrpcEchoServer.NOTE_BIN)).containsExactly(0, 0x80, 0xff);
    assertThat(answered.get().get(Metadata.Key.of("x-cairn-attempts", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("1");
    assertThat(trailers.get().get(Metadata.Key.of("grpc-status", Metadata.ASCII_STRING_MARSHALLER))).isNull();
  }

  @Test
  void aServerStreamingCallDeliversEveryMessageInOrder() {
    Iterator<String> stream = ClientCalls.blockingServerStreamingCall(channel("echo.cairn"), GrpcEchoServer.COUNT,
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
        channel("echo.cairn").newCall(GrpcEchoServer.JOIN, options()), Observers.collect(reply, ended));
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
        channel("echo.cairn").newCall(GrpcEchoServer.CHAT, options()), Observers.collect(pongs, ended));
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
    StatusRuntimeException e = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(channel("echo.cairn"),
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
    StatusRuntimeException e = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(channel("echo.cairn"),
        GrpcEchoServer.SLOW, CallOptions.DEFAULT.withDeadlineAfter(700, TimeUnit.MILLISECONDS), "x"),
        StatusRuntimeException.class);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    await("the instance's call is cancelled").atMost(WAIT)
        .until(() -> GrpcEchoServer.cancelledSlowCalls() > before);
  }

  @Test
  void anInstanceKilledMidStreamGivesUnavailableAndTheNextCallGoesToALiveOne() throws Exception {
    int port = TestNodes.freePort();
    doomed = startProcess(port, "K");
    register("ticker-k", "ticker", port);
    Iterator<String> ticks = ClientCalls.blockingServerStreamingCall(channel("ticker.cairn"), GrpcEchoServer.TICK,
        CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS), "go");
    for (int i = 0; i < 3; i++) {
      assertThat(ticks.next()).isEqualTo("K:" + i);
    }
    Server live = GrpcEchoServer.start(0, "L");
    servers.add(live);
    register("ticker-l", "ticker", live.getPort());

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
      assertThat(ClientCalls.blockingUnaryCall(channel("ticker.cairn"), GrpcEchoServer.WHO, options(), "again"))
          .isEqualTo("L:again");
    }
  }

  @Test
  void aPathPrefixRouteOnTheGrpcServiceNameRoutesWhateverTheAuthority() {
    MethodDescriptor<String, String> routedWho = GrpcEchoServer.method("cairn.test.Routed", "Who",
        MethodDescriptor.MethodType.UNARY);
    assertThat(ClientCalls.blockingUnaryCall(channel("127.0.0.1:" + grpcPort), routedWho, options(), "via route"))
        .isEqualTo("R:via route");
  }

  @Test
  void theGatewaysOwnRefusalsAreGrpcStatusesNotProtocolErrors() {
    StatusRuntimeException unknown = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(
        channel("nobody.cairn"), GrpcEchoServer.WHO, options(), "x"), StatusRuntimeException.class);
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(unknown.getStatus().getDescription()).contains("no service 'nobody' is registered");

    MethodDescriptor<String, String> emptyWho = GrpcEchoServer.method("cairn.test.Empty", "Who",
        MethodDescriptor.MethodType.UNARY);
    StatusRuntimeException none = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(
        channel("127.0.0.1:" + grpcPort), emptyWho, options(), "x"), StatusRuntimeException.class);
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

  // ---------------------------------------------------------------------------------------------------- helpers

  private static CallOptions options() {
    return CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** A plaintext channel to the proxy's gRPC port that names {@code authority}. */
  private ManagedChannel channel(String authority) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext()
        .overrideAuthority(authority).build();
    channels.add(c);
    return c;
  }

  private void register(String id, String name, int port) {
    put("/v1/services/" + id, new JsonObject().put("name", name).put("address", "127.0.0.1").put("port", port));
  }

  private void put(String path, JsonObject body) {
    Http.Response r = Http.put(api + path, body.encode());
    assertThat(r.status()).as(r.body()).isIn(200, 201);
  }

  /** An echo server in a JVM of its own (this test's class path), so that it can be killed for real. */
  private static Process startProcess(int port, String id) throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), GrpcEchoServer.class.getName(), Integer.toString(port), id)
        .redirectErrorStream(true).start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.equals("READY " + port)) {
            return;
          }
        }
      } catch (Exception ignored) {
        // the process is gone: the wait below fails
      }
      throw new IllegalStateException("the echo server " + id + " exited before it was ready");
    });
    ready.get(120, TimeUnit.SECONDS);
    // Its output must keep draining, or a full pipe would stall it.
    Thread drain = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // dropped
        }
      } catch (Exception ignored) {
        // the process is gone
      }
    }, "echo-" + id + "-output");
    drain.setDaemon(true);
    drain.start();
    return p;
  }
}
