package io.cairn.health;

import io.cairn.membership.CairnVersion;
import io.cairn.model.Check;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * {@code http}: GET on the instance's address and port plus {@code path} (https when {@code tls}), or on the full
 * {@code url}. 2xx is healthy, 429 degraded, anything else unhealthy, and so are a timeout and a refused
 * connection. Connections are kept alive between runs: 10,000 checks do not open 1,000 connections a second.
 */
public final class HttpChecker implements Checker {
  private final String nodeId;
  private HttpClient verifying;
  private HttpClient trustingAll;

  public HttpChecker(String nodeId) {
    this.nodeId = nodeId;
  }

  @Override
  public String type() {
    return "http";
  }

  @Override
  public void init(Vertx vertx) {
    verifying = client(vertx, false);
    trustingAll = client(vertx, true);
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
