package io.cairn.http.rest;

import io.cairn.api.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How every REST answer is written: JSON, with the revision it reflects in {@code X-Cairn-Revision}. */
public final class Responses {
  public static final String REVISION_HEADER = "X-Cairn-Revision";
  /** Set on every answer of a node on a side of a split without quorum. */
  public static final String STALE_HEADER = "X-Cairn-Stale";
  private static final Logger log = LoggerFactory.getLogger(Responses.class);
  private static final String JSON = "application/json";

  private Responses() {
  }

  public static void json(RoutingContext rc, int status, long revision, JsonObject body) {
    json(rc, status, revision, body.toBuffer());
  }

  public static void json(RoutingContext rc, int status, long revision, Buffer body) {
    HttpServerResponse response = rc.response();
    if (response.ended()) {
      return;
    }
    response.setStatusCode(status).putHeader("Content-Type", JSON);
    if (revision >= 0) {
      response.putHeader(REVISION_HEADER, Long.toString(revision));
    }
    response.end(body);
  }

  public static void error(RoutingContext rc, Throwable failure) {
    ApiException e = ApiException.of(failure);
    if (e.status() >= 500 && e.status() != 503) {
      log.error("{} {} failed", rc.request().method(), rc.request().path(), failure);
    }
    if (e.retryAfter() > 0) {
      rc.response().putHeader("Retry-After", Long.toString(e.retryAfter()));
    }
    if (e.status() == 401) {
      rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"cairn\"");
    }
    json(rc, e.status(), -1, e.toJson());
  }
}
