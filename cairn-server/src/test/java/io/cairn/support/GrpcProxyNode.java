package io.cairn.support;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One in-process node whose proxy takes gRPC on {@code proxy.grpcPort}, for the gRPC proxy tests: registrations and
 * routes through its API, {@link GrpcEchoServer}s in this JVM registered as instances, and plaintext grpc-java
 * channels to the port that name an authority. Closing it shuts down every server and channel it made.
 */
public final class GrpcProxyNode implements AutoCloseable {
  public final int grpcPort;
  private final TestNodes cluster;
  private final String api;
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  public GrpcProxyNode() {
    grpcPort = TestNodes.freePort();
    cluster = new TestNodes(1);
    // A connect timeout of 5 s, not 1 s: an echo server process just started on a loaded machine once took longer than
    // a second to answer HTTP/2's preface, and no case here is about a connect that hangs.
    TestNodes.Node node = cluster.start(0, new JsonObject().put("proxy", new JsonObject()
        .put("port", TestNodes.freePort()).put("grpcPort", grpcPort)
        .put("timeouts", new JsonObject().put("connect", "5s"))));
    api = node.base();
  }

  /** An echo server answering as {@code serverId}, registered as instance {@code id} of {@code service}. */
  public Server echo(String id, String service, String serverId) throws IOException {
    Server s = GrpcEchoServer.start(0, serverId);
    servers.add(s);
    register(id, service, s.getPort());
    return s;
  }

  public void register(String id, String service, int port) {
    put("/v1/services/" + id, new JsonObject().put("name", service).put("address", "127.0.0.1").put("port", port));
  }

  public void put(String path, JsonObject body) {
    Http.Response r = Http.put(api + path, body.encode());
    assertThat(r.status()).as(r.body()).isIn(200, 201);
  }

  /** A plaintext channel to the proxy's gRPC port that names {@code authority}. */
  public ManagedChannel channel(String authority) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext()
        .overrideAuthority(authority).build();
    channels.add(c);
    return c;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
    cluster.close();
  }
}
