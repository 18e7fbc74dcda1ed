package io.cairn.security;

import io.cairn.config.SecuritySettings;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.ServerSSLOptions;

/**
 * The TLS settings of a node's listeners, from PEM files: the HTTP and gRPC servers (security.tls.*), with ALPN so
 * that gRPC works over TLS, and client certificates checked against a CA under mutual TLS.
 */
public final class TlsOptions {
  private TlsOptions() {
  }

  /** Turns TLS on in {@code options} when security.tls.certFile is set; otherwise leaves them plain. */
  public static HttpServerOptions apply(HttpServerOptions options, SecuritySettings settings) {
    if (!settings.tlsEnabled()) {
      return options;
    }
    ServerSSLOptions ssl = serverSsl(settings);
    options.setSsl(true).setUseAlpn(true).setKeyCertOptions(ssl.getKeyCertOptions()).setClientAuth(ssl.getClientAuth())
        .setSslEngineOptions(engine());
    if (ssl.getTrustOptions() != null) {
      options.setTrustOptions(ssl.getTrustOptions());
    }
    return options;
  }

  /**
   * BoringSSL (netty-tcnative) where its native library loads, else the JDK's engine. The JDK's engine cost half of
   * a TLS listener's throughput on this project's benchmark machine; BoringSSL far less (docs/BENCHMARKS.md).
   */
  public static SSLEngineOptions engine() {
    return OpenSSLEngineOptions.isAvailable() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
  }

  /** What a running server reloads when the files change ({@code HttpServer.updateSSLOptions(.., true)}). */
  public static ServerSSLOptions serverSsl(SecuritySettings settings) {
    ServerSSLOptions ssl = new ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(settings.tlsCertFile()).setKeyPath(settings.tlsKeyFile()))
        .setUseAlpn(true);
    if (!settings.tlsClientCaFile().isBlank()) {
      ssl.setTrustOptions(new PemTrustOptions().addCertPath(settings.tlsClientCaFile()));
    }
    ssl.setClientAuth(switch (settings.tlsClientAuth()) {
      case "required" -> ClientAuth.REQUIRED;
      case "optional" -> ClientAuth.REQUEST;
      default -> ClientAuth.NONE;
    });
    return ssl;
  }
}
