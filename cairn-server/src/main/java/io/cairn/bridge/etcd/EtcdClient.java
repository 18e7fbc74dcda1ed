package io.cairn.bridge.etcd;

import com.google.protobuf.ByteString;
import io.cairn.config.BridgeSettings.EtcdConnection;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.EtcdAuthGrpcClient;
import io.etcd.jetcd.api.EtcdKVGrpcClient;
import io.etcd.jetcd.api.EtcdLeaseGrpcClient;
import io.etcd.jetcd.api.EtcdMaintenanceGrpcClient;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A thin asynchronous client of etcd's v3 gRPC API, over the Vert.x gRPC client and the stubs Maven generates from
 * etcd's own protos (package {@code io.etcd.jetcd.api}; jetcd's runtime is built on Vert.x 4 and is not used). It
 * offers what the etcd bridges need and nothing else: paged reads of a prefix, transactions, leases and their
 * keep-alive, and watches.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Threads.</b> Create it and call it on one Vert.x context (a verticle's); every future and callback
 *       completes there. Nothing blocks: every call is a gRPC request on the event loop.</li>
 *   <li><b>Connection.</b> {@link #connect} tries the configured endpoints in order and keeps the first that
 *       answers (with a user and password: that authenticates; without: etcd's {@code Status}). http:// endpoints
 *       speak HTTP/2 cleartext with prior knowledge, https:// ones TLS with ALPN, trusting the connection's CA file
 *       (else the JVM's trust store) and presenting its client certificate when it has one. The client stays on
 *       that endpoint: a call that fails is not sent elsewhere; the caller ends its session and connects again
 *       (with a new client), which tries every endpoint anew.</li>
 *   <li><b>Authentication.</b> With a user and password, every call and stream carries etcd's token as the
 *       {@code token} metadata header. A call (or the opening of a stream) that etcd refuses for an invalid or
 *       expired token is sent once more after authenticating again.</li>
 *   <li><b>Failures.</b> A failed future holds an {@link EtcdException} whose message names the endpoint and what
 *       happened ({@code etcd http://127.0.0.1:2379 unreachable: Connection refused}); a unary call that etcd does
 *       not answer within {@value #CALL_TIMEOUT_MILLIS} ms fails too.</li>
 * </ul>
 */
public final class EtcdClient {
  /** Keys per page of {@link #range}: a page is one response, well under the client's message limit. */
  public static final int PAGE = 1_000;
  static final long CALL_TIMEOUT_MILLIS = 10_000;
  private static final int CONNECT_TIMEOUT_MILLIS = 3_000;
  /** Large enough for a page of large values (gRPC's usual 4 MiB is not). */
  private static final long MAX_MESSAGE_BYTES = 64L << 20;

  /** Every key under a prefix as of one revision: {@code kvs} in key order, and that revision. */
  public record Listing(List<KeyValue> kvs, long revision) {
  }

  private final EtcdConnection connection;
  private final GrpcClient grpc;
  private final Vertx vertx;
  private URI endpoint;
  private SocketAddress address;
  private String token;
  private boolean closed;

  public EtcdClient(Vertx vertx, EtcdConnection connection) {
    this.vertx = vertx;
    this.connection = connection;
    this.grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES)
        .setScheduleDeadlineAutomatically(true), httpOptions(connection));
  }

  private static HttpClientOptions httpOptions(EtcdConnection c) {
    HttpClientOptions options = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
    if (c.tls()) {
      options.setSsl(true).setUseAlpn(true);
      if (!c.caFile().isEmpty()) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(c.caFile()));
      }
      if (!c.certFile().isEmpty()) {
        options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(c.certFile()).setKeyPath(c.keyFile()));
      }
    }
    return options;
  }

  /**
   * Connects to the first endpoint that answers, in the configured order; fails, naming each endpoint and what it
   * said, when none does.
   */
  public Future<Void> connect() {
    return tryEndpoint(0, new ArrayList<>());
  }

  private Future<Void> tryEndpoint(int index, List<String> failures) {
    List<URI> endpoints = connection.endpoints();
    if (index == endpoints.size()) {
      return Future.failedFuture(new EtcdException(String.join("; ", failures), null));
    }
    endpoint = endpoints.get(index);
    address = SocketAddress.inetSocketAddress(endpoint.getPort(), endpoint.getHost());
    token = null;
    Future<Void> answered = connection.user().isEmpty()
        ? attempt(EtcdMaintenanceGrpcClient.Status, StatusRequest.getDefaultInstance()).mapEmpty()
        : authenticate();
    return answered.recover(e -> {
      failures.add(e.getMessage());
      return tryEndpoint(index + 1, failures);
    });
  }

  /** The endpoint {@link #connect} found, as configured (http://host:port). */
  public String endpoint() {
    return String.valueOf(endpoint);
  }

  /** Authenticates anew: the call carries no token (etcd refuses one it no longer knows, even here). */
  private Future<Void> authenticate() {
    String user = connection.user();
    token = null;
    return attempt(EtcdAuthGrpcClient.Authenticate, AuthenticateRequest.newBuilder().setName(user)
        .setPassword(connection.password()).build())
        .map(answer -> {
          token = answer.getToken();
          return null;
        });
  }

  /**
   * Every key under {@code prefix}, read {@value #PAGE} at a time; every page after the first at the first one's
   * revision, so that the listing is one consistent view of the prefix, whatever is written meanwhile.
   */
  public Future<Listing> range(String prefix) {
    ByteString key = ByteString.copyFromUtf8(prefix);
    return page(key, prefixEnd(key), 0, new ArrayList<>());
  }

  private Future<Listing> page(ByteString from, ByteString end, long revision, List<KeyValue> kvs) {
    RangeRequest request = RangeRequest.newBuilder().setKey(from).setRangeEnd(end).setLimit(PAGE)
        .setRevision(revision).build();
    return call(EtcdKVGrpcClient.Range, request).compose((RangeResponse answer) -> {
      kvs.addAll(answer.getKvsList());
      long at = revision == 0 ? answer.getHeader().getRevision() : revision;
      if (!answer.getMore() || answer.getKvsCount() == 0) {
        return Future.succeededFuture(new Listing(List.copyOf(kvs), at));
      }
      ByteString next = answer.getKvs(answer.getKvsCount() - 1).getKey().concat(ByteString.copyFrom(new byte[1]));
      return page(next, end, at, kvs);
    });
  }

  /** One transaction; whether its comparisons held is {@link TxnResponse#getSucceeded()}. */
  public Future<TxnResponse> txn(TxnRequest request) {
    return call(EtcdKVGrpcClient.Txn, request);
  }

  /** A new lease of {@code ttlSeconds}; answers its id. */
  public Future<Long> leaseGrant(long ttlSeconds) {
    return call(EtcdLeaseGrpcClient.LeaseGrant, LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build())
        .compose(answer -> answer.getError().isEmpty() ? Future.succeededFuture(answer.getID())
            : Future.failedFuture(new EtcdException("etcd " + endpoint + " granted no lease: " + answer.getError(),
            null)));
  }

  /**
   * What etcd knows of a lease: {@code getTTL()} is the seconds it has left, 0 or less when it expired or was
   * revoked (etcd answers -1); {@code getGrantedTTL()} the TTL it was granted with.
   */
  public Future<LeaseTimeToLiveResponse> leaseTimeToLive(long lease) {
    return call(EtcdLeaseGrpcClient.LeaseTimeToLive, LeaseTimeToLiveRequest.newBuilder().setID(lease).build());
  }

  /** Revokes a lease: every key under it is deleted at once. */
  public Future<Void> leaseRevoke(long lease) {
    return call(EtcdLeaseGrpcClient.LeaseRevoke, LeaseRevokeRequest.newBuilder().setID(lease).build()).mapEmpty();
  }

  /**
   * Keeps {@code lease} (of {@code ttlSeconds}) alive on etcd's {@code LeaseKeepAlive} stream, a request every
   * third of the TTL, until {@link LeaseKeepAlive#stop}. The future completes at etcd's first answer, or fails when
   * that says the lease is gone. Afterwards {@code lost} is told once, unless stopped first, when the lease is gone:
   * an answer with a TTL of 0 or less, the stream ended or broken, or no answer for a whole TTL.
   */
  public Future<LeaseKeepAlive> keepAlive(long lease, long ttlSeconds, Consumer<Throwable> lost) {
    return withToken(() -> LeaseKeepAlive.open(this, lease, ttlSeconds, lost));
  }

  /**
   * Watches every key under {@code prefix} from {@code startRevision} (0: from now) on etcd's {@code Watch} stream,
   * with progress notifications. The future completes once etcd created the watch. {@code onEvents} then takes
   * each response: its events in revision order with the revision etcd stood at (no events: a progress
   * notification, everything up to that revision seen). {@code onEnd} is told once, unless cancelled first, when
   * the watch ends: an {@link EtcdCompacted} when {@code startRevision} was already compacted away, else an
   * {@link EtcdException} (the stream broke or etcd cancelled the watch). An end before etcd created the watch
   * fails the future instead, with the same exception.
   */
  public Future<EtcdWatch> watch(String prefix, long startRevision, Consumer<EtcdWatch.Events> onEvents,
                                 Consumer<Throwable> onEnd) {
    return withToken(() -> EtcdWatch.open(this, prefix, startRevision, onEvents, onEnd));
  }

  /** Closes the connection; calls under way fail. A lease is not revoked: its keys expire with it. */
  public Future<Void> close() {
    closed = true;
    return grpc.close();
  }

  /** The first key after every key that starts with {@code prefix} (etcd's range end of a prefix). */
  public static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    // Every byte 0xff: to the end of the key space.
    return ByteString.copyFrom(new byte[1]);
  }

  /** A unary call, authenticated again and sent once more when etcd refuses the token. */
  private <Req, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req request) {
    return withToken(() -> attempt(method, request));
  }

  private <T> Future<T> withToken(Supplier<Future<T>> action) {
    if (closed) {
      return Future.failedFuture(new EtcdException("etcd client of " + endpoint + " is closed", null));
    }
    return action.get().recover(e -> {
      if (connection.user().isEmpty() || !staleToken(e)) {
        return Future.failedFuture(e);
      }
      return authenticate().compose(v -> action.get());
    });
  }

  /** etcd's answers to a token it no longer knows (expired, or the auth store changed since it was issued). */
  static boolean staleToken(Throwable e) {
    String message = String.valueOf(e.getMessage());
    return (e instanceof EtcdException ee && ee.status() == GrpcStatus.UNAUTHENTICATED)
        || message.contains("invalid auth token") || message.contains("revision of auth store is old");
  }

  private <Req, Resp> Future<Resp> attempt(ServiceMethod<Resp, Req> method, Req request) {
    String name = method.methodName();
    return open(method)
        .compose(req -> req.timeout(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).send(request)
            .recover(e -> Future.failedFuture(failure(name, e))))
        .compose(response -> response.last().recover(e -> Future.failedFuture(response.status() == null
            || response.status() == GrpcStatus.OK ? failure(name, e)
            : refused(name, response.status(), response.statusMessage()))));
  }

  /** A request on the connected endpoint, carrying the token; fails when the endpoint cannot be reached. */
  <Req, Resp> Future<GrpcClientRequest<Req, Resp>> open(ServiceMethod<Resp, Req> method) {
    return grpc.request(address, method).<GrpcClientRequest<Req, Resp>>map(req -> {
      if (token != null) {
        req.headers().set("token", token);
      }
      return req;
    }).recover(e -> Future.failedFuture(unreachable(e)));
  }

  Vertx vertx() {
    return vertx;
  }

  EtcdException unreachable(Throwable cause) {
    return new EtcdException("etcd " + endpoint + " unreachable: " + reason(cause), null);
  }

  EtcdException refused(String what, GrpcStatus status, String message) {
    return new EtcdException("etcd " + endpoint + " refused " + what + ": " + status.name()
        + (message == null || message.isEmpty() ? "" : " " + message), status);
  }

  /** A stream etcd ended, which it never does on its own accord while it serves. */
  EtcdException ended(String what, GrpcClientResponse<?, ?> response) {
    GrpcStatus status = response.status();
    String message = response.statusMessage();
    return new EtcdException("etcd " + endpoint + " ended " + what + " (" + (status == null ? "no status"
        : status.name()) + (message == null || message.isEmpty() ? "" : " " + message) + ")",
        status == GrpcStatus.OK ? null : status);
  }

  EtcdException failure(String what, Throwable cause) {
    if (cause instanceof EtcdException e) {
      return e;
    }
    return new EtcdException("etcd " + endpoint + " " + what + " failed: " + reason(cause), null);
  }

  /** A cause in a few words: Netty's "Connection refused: /127.0.0.1:2379" without the address said already. */
  private static String reason(Throwable cause) {
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    int address = message.indexOf(": /");
    return address > 0 ? message.substring(0, address) : message;
  }
}
