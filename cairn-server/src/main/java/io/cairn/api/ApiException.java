package io.cairn.api;

import io.cairn.model.ValidationException;
import io.cairn.node.CommandLog;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.HttpException;

/** A failure the API reports to its caller: an HTTP status and the body {@code {"error","message","field"}}. */
public class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final String field;
  /** Another node to send the request to, when this one cannot take it (it is shutting down). */
  private String retryAt;
  /** Seconds after which a refused request (429) may be tried again, or 0. */
  private long retryAfter;

  public ApiException(int status, String code, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  /** Any failure as an API failure: validation is the client's (400), anything unexpected is ours (500). */
  public static ApiException of(Throwable t) {
    if (t instanceof ApiException) {
      return (ApiException) t;
    }
    if (t instanceof ValidationException) {
      ValidationException v = (ValidationException) t;
      return new ApiException(400, v.code(), v.getMessage(), v.field());
    }
    if (t instanceof HttpException) {
      // Raised by the router itself, e.g. a query string that does not decode (%zz).
      HttpException h = (HttpException) t;
      int code = h.getStatusCode();
      return new ApiException(code, code < 500 ? "bad_request" : "internal",
          h.getPayload() != null ? h.getPayload() : "the request could not be read (status " + code + ")");
    }
    if (t instanceof ReplyException) {
      ReplyException r = (ReplyException) t;
      if (r.failureCode() == CommandLog.NO_QUORUM) {
        return noQuorum();
      }
      if (r.failureCode() == CommandLog.INSUFFICIENT_STORAGE) {
        return new ApiException(507, "insufficient_storage", r.getMessage());
      }
      int code = r.failureCode() >= 400 && r.failureCode() < 600 ? r.failureCode() : 503;
      return new ApiException(code, code == 503 ? "unavailable" : "internal", r.getMessage());
    }
    return new ApiException(500, "internal", "unexpected error: " + t);
  }

  public static ApiException noQuorum() {
    return new ApiException(503, "no-quorum", "this node is on a side of a network split with too few members to "
        + "accept writes; reads are still served (marked X-Cairn-Stale: true). Write to a node of the majority side");
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String field() {
    return field;
  }

  /** Another node's base URL to send the request to, or null. */
  public String retryAt() {
    return retryAt;
  }

  public ApiException retryAt(String baseUrl) {
    this.retryAt = baseUrl;
    return this;
  }

  public long retryAfter() {
    return retryAfter;
  }

  public ApiException retryAfter(long seconds) {
    this.retryAfter = Math.max(1, seconds);
    return this;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("error", code).put("message", getMessage());
    if (field != null) {
      json.put("field", field);
    }
    if (retryAt != null) {
      json.put("retryAt", retryAt);
    }
    return json;
  }
}
