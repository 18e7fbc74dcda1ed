package io.cairn.gateway;

import io.cairn.model.ServiceEntry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.ClientOptionsBase;

import java.util.function.Function;

/**
 * One event loop's HTTP clients to instances under one pair of breaker limits: connections per instance (the pool's
 * size) and requests waiting for one (its queue; past it the request is refused at once as overloaded). Plain and TLS
 * clients, the latter trusting what {@code upstreamTls} says; HTTP/1.1 for requests, and HTTP/2 for gRPC calls (made
 * on the first call, so that a node without gRPC traffic keeps no such pool).
 */
final class UpstreamClients {
  final HttpClientAgent plain;
  final HttpClientAgent tls;
  private final Vertx vertx;
  private final GatewaySettings settings;
  private final PoolOptions pool;
  private final Function<ClientOptionsBase, ClientOptionsBase> upstreamTls;
  private HttpClientAgent grpcPlain;
  private HttpClientAgent grpcTls;

  UpstreamClients(Vertx vertx, GatewaySettings s, int maxConnections, int maxPending,
                  Function<ClientOptionsBase, ClientOptionsBase> upstreamTls) {
    this.vertx = vertx;
    this.settings = s;
    this.upstreamTls = upstreamTls;
    this.pool = new PoolOptions().setHttp1MaxSize(maxConnections).setHttp2MaxSize(maxConnections)
        .setMaxWaitQueueSize(maxPending);
    this.plain = vertx.httpClientBuilder().with(options(s)).with(pool).build();
    this.tls = vertx.httpClientBuilder().with(secure(options(s))).with(pool).build();
  }

  private HttpClientOptions secure(HttpClientOptions options) {
    options.setSsl(true);
    if (upstreamTls != null) {
      upstreamTls.apply(options);
    }
    return options;
  }

  private static HttpClientOptions options(GatewaySettings s) {
    return new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1).setKeepAlive(true)
        .setConnectTimeout((int) s.connectTimeoutMillis())
        .setKeepAliveTimeout((int) Math.max(1, s.idleTimeoutMillis() / 1000))
        .setIdleTimeout((int) Math.max(1, s.idleTimeoutMillis() / 1000))
        // The gateway relays bodies as they are: a compressed answer stays compressed for the client to inflate.
        .setDecompressionSupported(false)
        .setMaxHeaderSize(64 * 1024).setMaxInitialLineLength(16 * 1024);
  }

  /** Whether the instance is reached over TLS: it says so in its metadata, or its health check speaks TLS. */
  static boolean speaksTls(ServiceEntry target) {
    return "true".equals(target.metadata().get("proxy.tls")) || target.check() != null && target.check().tls();
  }

  HttpClientAgent of(boolean secure) {
    return secure ? tls : plain;
  }

  /**
   * The HTTP/2 client for gRPC calls: with prior knowledge in the clear (no HTTP/1.1 upgrade, which gRPC servers do
   * not take), over ALPN under TLS. Up to the pool's size of connections per instance, each carrying many calls.
   */
  HttpClientAgent grpc(boolean secure) {
    if (secure) {
      if (grpcTls == null) {
        grpcTls = vertx.httpClientBuilder().with(secure(http2(settings)).setUseAlpn(true)).with(pool)
            .withConnectHandler(UpstreamClients::quiet).build();
      }
      return grpcTls;
    }
    if (grpcPlain == null) {
      grpcPlain = vertx.httpClientBuilder().with(http2(settings)).with(pool)
          .withConnectHandler(UpstreamClients::quiet).build();
    }
    return grpcPlain;
  }

  /**
   * An instance that dies mid-call fails its streams, which is where the exchange learns of it; the connection's own
   * error would otherwise be logged once more as unhandled.
   */
  private static void quiet(HttpConnection connection) {
    connection.exceptionHandler(e -> {
    });
  }

    private static HttpClientOptions http2(GatewaySettings s) {
    return options(s).setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
        .setHttp2KeepAliveTimeout((int) Math.max(1, s.idleTimeoutMillis() / 1000));
  }

  void close() {
    plain.close();
    tls.close();
    if (grpcPlain != null) {
      grpcPlain.close();
    }
    if (grpcTls != null) {
      grpcTls.close();
    }
  }
}
