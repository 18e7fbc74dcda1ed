package io.cairn.consul;

import io.cairn.api.ApiException;
import io.vertx.ext.web.RoutingContext;

/** Consul's errors: plain text with the status, as Consul's clients read them (never Cairn's JSON errors). */
final class ConsulErrors {
  private ConsulErrors() {
  }

  static void error(RoutingContext rc, Throwable failure) {
    ApiException e = ApiException.of(failure);
    if (rc.response().ended()) {
      return;
    }
    if (e.retryAfter() > 0) {
      rc.response().putHeader("Retry-After", Long.toString(e.retryAfter()));
    }
    rc.response().setStatusCode(e.status()).putHeader("Content-Type", "text/plain; charset=utf-8")
        .end(e.getMessage() == null ? "" : e.getMessage());
  }
}
