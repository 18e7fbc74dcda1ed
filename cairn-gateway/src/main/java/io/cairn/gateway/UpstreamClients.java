package io.cairn.gateway;

import io.cairn.model.ServiceEntry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.ClientOptionsBase;

import java.util.function.Function;

/**
 * One event loop's HTTP clients to instances under one pair of breaker limits: connections per instance (the pool's
 * size) and requests waiting for one (its queue; past it the request is refused at once as overloaded). Plain and TLS
 * clients, the latter trusting what {@code upstreamTls} says.
 */
final class UpstreamClients {
  final HttpClientAgent plain;
  final HttpClientAgent tls;

  UpstreamClients(Vertx vertx, GatewaySettings s, int maxConnections, int maxPending,
                  Function<ClientOptionsBase, ClientOptionsBase> upstreamTls) {
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(maxConnections).setMaxWaitQueueSize(maxPending);
    this.plain = vertx.httpClientBuilder().with(options(s)).with(pool).build();
    HttpClientOptions secure = options(s).setSsl(true);
    if (upstreamTls != null) {
      upstreamTls.apply(secure);
    }
    this.tls = vertx.httpClientBuilder().with(secure).with(pool).build();
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

  void close() {
    plain.close();
    tls.close();
  }
}
