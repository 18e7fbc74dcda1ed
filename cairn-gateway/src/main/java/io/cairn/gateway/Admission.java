package io.cairn.gateway;

import io.vertx.core.http.HttpServerRequest;

import java.util.Map;

/**
 * Who may send a request to a service, asked before anything reaches an instance: the server's access layer, or
 * nobody (an agent's sidecar serves its own application).
 */
@FunctionalInterface
public interface Admission {
  /** Null to let the request through; otherwise the refusal the caller gets (401, 403, 429). */
  Refusal admit(HttpServerRequest request, String service);

  /**
   * A refusal: the status, a code a program can switch on, a message a person can act on, and headers (Retry-After,
   * WWW-Authenticate).
   */
  record Refusal(int status, String code, String message, Map<String, String> headers) {
  }

  Admission OPEN = (request, service) -> null;
}
