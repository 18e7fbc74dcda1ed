package io.cairn.bench.scale;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.bench.scale.Propagation.Observer;
import io.cairn.bench.scale.Propagation.Transport;
import io.cairn.grpc.v1.RegistryGrpcClient;
import io.cairn.grpc.v1.WatchEvent;
import io.cairn.grpc.v1.WatchRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.grpc.client.GrpcClient;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Change streams held open on the nodes, each following one live service name, each an {@link Observer} of the
 * revisions of its events: Server-Sent Events ({@code GET /v1/events?name=}, live from now), WebSockets
 * ({@code GET /v1/ws?name=&since=R}) and gRPC {@code Watch} calls ({@code from_revision} R), R being the node's
 * revision when they open, so that they start without a snapshot, as clients resuming do. SSE and WebSockets have a
 * connection each; gRPC calls share HTTP/2 connections (at most 100 streams each, the server's limit), as a gRPC
 * channel does.
 *
 * <p>Watch j (of all of them) is of transport (j + j / names) % 3, on node (j / 3) % nodes, and follows name
 * j % names: every name has watchers of every transport on every node once there are enough of them.
 */
final class WatchFleet {
  /** Streams opened at once. */
  private static final int LANES = 200;
  private static final int STREAMS_PER_CONNECTION = 100;

  private final List<Target> nodes;
  private final Propagation propagation;
  private final int names;
  private final int total;
  private final HttpClient sse;
  private final WebSocketClient ws;
  private final GrpcClient grpc;
  private final Map<Transport, int[]> opened = new EnumMap<>(Transport.class);
  private final Map<Transport, AtomicLong> events = new EnumMap<>(Transport.class);
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean closing;

  /** A node to watch: its index and HTTP address. */
  record Target(int index, String host, int port) {
  }

  /** {@code total}: every watch this fleet will open, over all transports (it decides which are whose). */
  WatchFleet(Vertx vertx, List<Target> nodes, Propagation propagation, int names, int total) {
    this.nodes = List.copyOf(nodes);
    this.propagation = propagation;
    this.names = names;
    this.total = total;
    // Pool limits never hold a stream back (whether Vert.x counts them per node or in all, they are at most total).
    int limit = Math.max(1, total);
    sse = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(limit));
    ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(limit));
    grpc = GrpcClient.client(vertx, vertx.createHttpClient(new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
        .setHttp2MultiplexingLimit(STREAMS_PER_CONNECTION), new PoolOptions()
        .setHttp2MaxSize(limit / STREAMS_PER_CONNECTION + 2)));
    for (Transport t : List.of(Transport.SSE, Transport.WEBSOCKET, Transport.GRPC)) {
      opened.put(t, new int[nodes.size()]);
      events.put(t, new AtomicLong());
    }
    // The first decoded message initialises protobuf's descriptors (seconds on a busy machine): here, not on an
    // event loop in the middle of the measurement.
    try {
      WatchEvent.parseFrom(WatchEvent.newBuilder().setType("warm-up").build().toByteArray());
      WatchRequest.parseFrom(WatchRequest.newBuilder().setName("warm-up").build().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Transport transportOf(int j, int names) {
    return List.of(Transport.SSE, Transport.WEBSOCKET, Transport.GRPC).get((j + j / names) % 3);
  }

  /**
   * Opens every watch of {@code transport}; {@code revisionOf} gives a node's current revision (where WebSocket and
   * gRPC watches start). Returns how many failed to open.
   */
  Lanes.Outcome open(Transport transport, IntFunction<Long> revisionOf) throws InterruptedException {
    List<Supplier<Future<?>>> tasks = new ArrayList<>();
    long[] since = new long[nodes.size()];
    for (Target n : nodes) {
      since[n.index()] = transport == Transport.SSE ? 0 : revisionOf.apply(n.index());
    }
    for (int j = 0; j < total; j++) {
      if (transportOf(j, names) != transport) {
        continue;
      }
      Target node = nodes.get(j / 3 % nodes.size());
      int name = j % names;
      Observer observer = propagation.observer(name, transport);
      opened.get(transport)[node.index()]++;
      long from = since[node.index()];
      tasks.add(switch (transport) {
        case SSE -> () -> openSse(node, name, observer);
        case WEBSOCKET -> () -> openWebSocket(node, name, from, observer);
        case GRPC -> () -> openGrpc(node, name, from, observer);
        default -> throw new IllegalArgumentException(transport + " is not a watch");
      });
    }
    return Lanes.run(tasks, LANES, 600);
  }

  /** Watches of this transport opened on node {@code index}. */
  int opened(Transport transport, int index) {
    return opened.get(transport)[index];
  }

  long events(Transport transport) {
    return events.get(transport).get();
  }

  /** Streams that ended while the benchmark still held them (the node closed them, or the connection broke). */
  long dropped() {
    return dropped.get();
  }

  /** From now on, ends of streams are the benchmark's own doing. */
  void closing() {
    closing = true;
  }

  private void lost() {
    if (!closing) {
      dropped.incrementAndGet();
    }
  }

  /** SSE: "id: R" (or "id: R:k") then "event: TYPE"; a service event is an observation of R. */
  private Future<?> openSse(Target node, int name, Observer observer) {
    AtomicLong id = new AtomicLong(-1);
    AtomicLong counter = events.get(Transport.SSE);
    return sse.request(new RequestOptions().setHost(node.host()).setPort(node.port())
            .setURI("/v1/events?name=live-" + name).putHeader("Accept", "text/event-stream"))
        .compose(req -> req.send())
        .map(resp -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("SSE answered " + resp.statusCode());
          }
          resp.handler(RecordParser.newDelimited("\n", line -> {
            long revision = StreamFrames.sseId(line);
            if (revision >= 0) {
              id.set(revision);
            } else if (StreamFrames.sseServiceEvent(line)) {
              counter.incrementAndGet();
              observer.saw(id.get());
            }
          }));
          resp.endHandler(v -> lost());
          resp.exceptionHandler(e -> lost());
          return resp;
        });
  }

  /** WebSocket: each event is a text frame {"type":"service…","revision":R,…}. */
  private Future<?> openWebSocket(Target node, int name, long since, Observer observer) {
    AtomicLong counter = events.get(Transport.WEBSOCKET);
    return ws.connect(new WebSocketConnectOptions().setHost(node.host()).setPort(node.port())
            .setURI("/v1/ws?name=live-" + name + "&since=" + since))
        .map(socket -> {
          socket.handler(message -> {
            long revision = StreamFrames.webSocketRevision(message);
            if (revision >= 0) {
              counter.incrementAndGet();
              observer.saw(revision);
            }
          });
          socket.closeHandler(v -> lost());
          return socket;
        });
  }

  /** gRPC Watch: the call counts as open once its request is written (the node sends nothing until an event). */
  private Future<?> openGrpc(Target node, int name, long since, Observer observer) {
    AtomicLong counter = events.get(Transport.GRPC);
    WatchRequest request = WatchRequest.newBuilder().setName("live-" + name).setFromRevision(since).build();
    return grpc.request(SocketAddress.inetSocketAddress(node.port(), node.host()), RegistryGrpcClient.Watch)
        .compose(req -> {
          req.response().onSuccess(resp -> {
            resp.messageHandler(message -> {
              if (!"identity".equals(message.encoding())) {
                throw new IllegalStateException("a compressed Watch message: " + message.encoding());
              }
              long revision = StreamFrames.grpcRevision(message.payload());
              if (revision >= 0) {
                counter.incrementAndGet();
                observer.saw(revision);
              }
            });
            resp.endHandler(v -> lost());
            resp.exceptionHandler(e -> lost());
          }).onFailure(e -> lost());
          return req.end(request);
        });
  }
}
