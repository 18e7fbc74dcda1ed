package io.cairn.client;

import io.cairn.grpc.v1.ListNodesRequest;
import io.cairn.grpc.v1.RegistryGrpcClient;
import io.cairn.wire.GrpcTrailers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;

import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CairnClient}'s way to the cluster: the node calls go to now, calls that move to the next node when that
 * one fails, and the list of nodes, grown with what {@code ListNodes} reports. Watches and heartbeat streams open
 * their calls here and move on by the same rules. Attempts run on the client's context.
 */
final class NodeCalls {
  private static final long NODE_REFRESH_MILLIS = 5_000;
  private static final int MAX_MESSAGE_BYTES = 64 << 20;

  private final Vertx vertx;
  private final Context context;
  private final GrpcClient grpc;
  /** The authorization metadata every call carries, or null on a cluster without tokens. */
  private final String authorization;
  private final List<SocketAddress> nodes;
  private volatile int current;
  private final long retryMillis;
  private final int maxRetries;
  private final long timeoutMillis;
  private final long refreshTimer;
  private volatile boolean closed;

  /** {@code maxRetries} below 0: never give up. */
  NodeCalls(Vertx vertx, Context context, HttpClientOptions httpOptions, String token, List<SocketAddress> nodes,
            Duration retryInterval, int maxRetries, Duration requestTimeout) {
    this.vertx = vertx;
    this.context = context;
    // A Watch snapshot is one message carrying a whole service: far above gRPC's usual 256 KiB for large ones.
    this.grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES), httpOptions);
    this.authorization = token == null ? null : "Bearer " + token;
    this.nodes = new CopyOnWriteArrayList<>(nodes);
    this.retryMillis = retryInterval.toMillis();
    this.maxRetries = maxRetries;
    this.timeoutMillis = requestTimeout.toMillis();
    this.refreshTimer = vertx.setPeriodic(0, NODE_REFRESH_MILLIS, id -> context.runOnContext(v -> refreshNodes()));
  }

  Vertx vertx() {
    return vertx;
  }

  Context context() {
    return context;
  }

  boolean closed() {
    return closed;
  }

  /** A call to the node at {@code at}, carrying this client's token. */
  <Req, Resp> Future<GrpcClientRequest<Req, Resp>> request(SocketAddress at, ServiceMethod<Resp, Req> method) {
    return grpc.request(at, method).map(request -> {
      if (authorization != null) {
        request.headers().set("authorization", authorization);
      }
      return request;
    });
  }

  <Req, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req request) {
    return call(method, request, true);
  }

  /**
   * A call with failover. {@code repeatable}: the call may be sent again after an outcome that is unknown (a
   * timeout, a broken stream after sending); otherwise only when the node refused it (UNAVAILABLE) or was never
   * reached.
   */
  <Req, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req request, boolean repeatable) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("this Cairn client is closed"));
    }
    Promise<Resp> result = Promise.promise();
    context.runOnContext(v -> attempt(method, request, repeatable, 0, result));
    return result.future();
  }

  private <Req, Resp> void attempt(ServiceMethod<Resp, Req> method, Req request, boolean repeatable, int failures,
                                   Promise<Resp> result) {
    SocketAddress at = node();
    request(at, method)
        .compose(req -> req.timeout(timeoutMillis, TimeUnit.MILLISECONDS).send(request))
        .onComplete(sent -> {
          if (sent.failed()) {
            // Never answered: refused connections are safe to send again; anything else only if repeatable.
            if (repeatable || sent.cause() instanceof ConnectException) {
              retry(method, request, repeatable, failures, result, at, null);
            } else {
              result.fail(new CairnException(GrpcStatus.UNAVAILABLE, "unavailable", "the call to " + at
                  + " failed before an answer and may or may not have been applied: " + sent.cause(), null));
            }
            return;
          }
          GrpcClientResponse<Req, Resp> response = sent.result();
          response.last().onComplete(answer -> {
            if (answer.succeeded()) {
              result.complete(answer.result());
              return;
            }
            GrpcStatus status = response.status();
            boolean refused = status == GrpcStatus.UNAVAILABLE || status == GrpcStatus.RESOURCE_EXHAUSTED;
            if (refused || (repeatable && (status == null || isNodeProblem(status)))) {
              retry(method, request, repeatable, failures, result, at, response.trailers());
            } else {
              MultiMap trailers = response.trailers();
              result.fail(new CairnException(status, trailers.get(GrpcTrailers.ERROR), response.statusMessage(),
                  trailers.get(GrpcTrailers.FIELD)));
            }
          });
        });
  }

  private <Req, Resp> void retry(ServiceMethod<Resp, Req> method, Req request, boolean repeatable, int failures,
                                 Promise<Resp> result, SocketAddress failed, MultiMap trailers) {
    if (closed) {
      result.tryFail(new IllegalStateException("this Cairn client is closed"));
      return;
    }
    if (!mayRetry(failures)) {
      result.fail(unavailable(failures + 1));
      return;
    }
    retryElsewhere(failed, trailers, () -> attempt(method, request, repeatable, failures + 1, result));
  }

  /** Whether something that failed {@code failures} times in a row may try another node. */
  boolean mayRetry(int failures) {
    return maxRetries < 0 || failures < maxRetries;
  }

  /** Leaves the node that failed and, after the retry interval, runs {@code next} on the client's context. */
  void retryElsewhere(SocketAddress failed, MultiMap trailers, Runnable next) {
    moveOn(failed, trailers);
    vertx.setTimer(retryMillis, id -> context.runOnContext(v -> next.run()));
  }

  /** Leaves a node that failed: for the one it named (cairn-retry-at), else the next in the list. */
  void moveOn(SocketAddress failed, MultiMap trailers) {
    String hint = trailers == null ? null : trailers.get(GrpcTrailers.RETRY_AT);
    if (hint != null && !hint.isBlank()) {
      SocketAddress named = parse(hint);
      int index = nodes.indexOf(named);
      if (index < 0) {
        nodes.add(named);
        index = nodes.size() - 1;
      }
      current = index;
      return;
    }
    if (node().equals(failed)) {
      current = (current + 1) % nodes.size();
    }
  }

  SocketAddress node() {
    return nodes.get(Math.floorMod(current, nodes.size()));
  }

  CairnException unavailable(int attempts) {
    return new CairnException(GrpcStatus.UNAVAILABLE, "unavailable", "no Cairn node answered after " + attempts
        + " attempts (nodes tried: " + nodes + ")", null);
  }

  /** Statuses that say "this node, not your request": try another. */
  static boolean isNodeProblem(GrpcStatus status) {
    return status == GrpcStatus.UNAVAILABLE || status == GrpcStatus.RESOURCE_EXHAUSTED
        || status == GrpcStatus.DEADLINE_EXCEEDED || status == GrpcStatus.CANCELLED || status == GrpcStatus.UNKNOWN
        || status == GrpcStatus.INTERNAL;
  }

  /** Learns the cluster's members, so that failover can reach nodes the builder did not name. */
  private void refreshNodes() {
    if (closed) {
      return;
    }
    SocketAddress at = node();
    request(at, RegistryGrpcClient.ListNodes)
        .compose(req -> req.timeout(timeoutMillis, TimeUnit.MILLISECONDS).send(ListNodesRequest.getDefaultInstance()))
        .compose(GrpcClientResponse::last)
        .onSuccess(answer -> answer.getNodesList().stream()
            .filter(n -> n.getStatus().equals("alive") && !n.getGrpcAddress().isEmpty())
            .map(n -> parse(n.getGrpcAddress()))
            .filter(a -> !nodes.contains(a))
            .forEach(nodes::add));
  }

  static SocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return SocketAddress.inetSocketAddress(Integer.parseInt(hostPort.substring(colon + 1)), host);
  }

  /** From now on calls fail at once and the node list is no longer refreshed. */
  void stop() {
    closed = true;
    vertx.cancelTimer(refreshTimer);
  }

  Future<Void> disconnect() {
    return grpc.close();
  }
}
