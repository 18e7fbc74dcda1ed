package io.cairn.webapi;

import io.cairn.api.ApiException;
import io.cairn.config.JsonLineEncoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** How every REST answer is written: JSON, with the revision it reflects in {@code X-Cairn-Revision}. */
public final class Responses {
  public static final String REVISION_HEADER = "X-Cairn-Revision";
  /** Set on every answer of a node on a side of a split without quorum. */
  public static final String STALE_HEADER = "X-Cairn-Stale";
  public static final String REQUEST_ID_HEADER = "X-Request-Id";
  /** The request id's key in the MDC and in the routing context. */
  public static final String REQUEST_ID = JsonLineEncoder.REQUEST_ID;
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
    // 503 and 507 are states the node already says once a minute (no quorum, behind, short of storage), not faults.
    if (e.status() >= 500 && e.status() != 503 && e.status() != 507) {
      // Often answered from a callback, after the request's own handlers left: its id goes back in the MDC.
      String requestId = rc.get(REQUEST_ID);
      if (requestId != null) {
        MDC.put(REQUEST_ID, requestId);
      }
      try {
        log.error("{} {} failed", rc.request().method(), rc.request().path(), failure);
      } finally {
        MDC.remove(REQUEST_ID);
      }
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
