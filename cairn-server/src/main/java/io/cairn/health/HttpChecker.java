package io.cairn.health;

import io.cairn.config.CheckTargets;
import io.cairn.model.Check;
import io.cairn.model.ServiceEntry;
import io.cairn.node.CairnVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.resolver.NameResolver;
import io.vertx.core.net.SocketAddress;

/**
 * {@code http}: GET on the instance's address and port plus {@code path} (https when {@code tls}), or on the full
 * {@code url}. 2xx is healthy, 429 degraded, anything else unhealthy, and so are a timeout and a refused
 * connection. A host name is resolved here and the address it resolves to judged by {@code checks.allowedTargets}. Connections are kept alive between runs: 10,000 checks do not open 1,000 connections a second.
 */
public final class HttpChecker implements Checker {
  private final String nodeId;
  private final CheckTargets targets;
  private NameResolver resolver;
  private HttpClient verifying;
  private HttpClient trustingAll;

  public HttpChecker(String nodeId, CheckTargets targets) {
    this.nodeId = nodeId;
    this.targets = targets;
  }

  @Override
  public String type() {
    return "http";
  }

  @Override
  public void init(Vertx vertx) {
    verifying = client(vertx, false);
    trustingAll = client(vertx, true);
    resolver = ((VertxInternal) vertx).nameResolver();
  }

  private static HttpClient client(Vertx vertx, boolean trustAll) {
    HttpClientOptions options = new HttpClientOptions().setKeepAlive(true).setTrustAll(trustAll)
        .setVerifyHost(!trustAll).setMaxRedirects(0);
    return vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(4));
  }

  @Override
  public Future<CheckResult> check(ServiceEntry instance, Check check) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET)
        .setTimeout(check.timeoutMillis())
        .setConnectTimeout(check.timeoutMillis())
        .putHeader("User-Agent", "Cairn/" + CairnVersion.VERSION + " (health check; node " + nodeId + ")");
    boolean tls;
    if (check.url() != null) {
      request.setAbsoluteURI(check.url());
      tls = check.url().startsWith("https:");
    } else {
      tls = check.tls();
      request.setHost(instance.address()).setPort(instance.port()).setURI(check.path()).setSsl(tls);
    }
    check.headers().forEach(request::putHeader);
    HttpClient client = tls && check.tlsSkipVerify() ? trustingAll : verifying;
    String host = request.getHost();
    if (CheckTargets.isAddress(host)) {
      return fetch(client, request); // an address, judged when registered and when this node took the check over
    }
    // A name is resolved here, judged, and connected to as resolved (the Host header and TLS still name it): a name
    // that resolves to a metadata address would otherwise reach it, and one resolved twice could change in between.
    return resolver.resolve(host).compose(address -> {
      if (!targets.allowsResolved(host, address)) {
        return Future.succeededFuture(CheckResult.unhealthy("not run: " + host + " resolves to "
            + address.getHostAddress() + ", a link-local or cloud metadata address; a check may reach it only when "
            + "checks.allowedTargets lists it"));
      }
      request.setServer(SocketAddress.inetSocketAddress(request.getPort(), address.getHostAddress()));
      return fetch(client, request);
    });
  }

  private static Future<CheckResult> fetch(HttpClient client, RequestOptions request) {
    return client.request(request)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(ignored -> result(resp.statusCode(), resp.statusMessage())));
  }

  static CheckResult result(int status, String message) {
    String output = "HTTP " + status + (message == null || message.isEmpty() ? "" : " " + message);
    if (status >= 200 && status < 300) {
      return CheckResult.healthy(output);
    }
    if (status == 429) {
      return CheckResult.degraded(output);
    }
    return CheckResult.unhealthy(output);
  }
}
