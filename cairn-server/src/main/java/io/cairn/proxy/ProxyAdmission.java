package io.cairn.proxy;

import io.cairn.api.Access;
import io.cairn.api.Action;
import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.gateway.Admission;
import io.vertx.core.http.HttpServerRequest;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Who may send requests through this node's proxy, asked of {@code api/}'s access layer as any API asks it: the
 * caller (a bearer token, {@code X-Cairn-Token}, or under mutual TLS the client certificate's CN) needs the right
 * {@code route} on {@code service:NAME}; refusals are audited; per-caller limits hold. A caller without credentials
 * is {@code anonymous}, let through only where the ACL policy grants anonymous the right (else 401). On a node
 * without security everyone may.
 */
final class ProxyAdmission implements Admission {
  /** The headers that carry a Cairn token: read here, never passed to an instance. */
  static final Set<String> TOKEN_HEADERS = Set.of("authorization", "x-cairn-token");

  private final Access access;

  ProxyAdmission(Access access) {
    this.access = access;
  }

  @Override
  public Refusal admit(HttpServerRequest request, String service) {
    try {
      Caller caller;
      try {
        caller = access.authenticate(request.getHeader("Authorization"), () -> request.getHeader("X-Cairn-Token"),
            request.connection());
      } catch (ApiException e) {
        // No credentials at all: anonymous may still be let through where the policy grants it, as for DNS.
        Caller anonymous = Caller.anonymous(remote(request));
        if (e.status() != 401 || hasCredentials(request)
            || !access.allowed(anonymous, Access.service(service), Action.ROUTE)) {
          throw e;
        }
        caller = anonymous;
      }
      access.require(caller, Access.service(service), Action.ROUTE, "route");
      access.admitProxied(caller);
      return null;
    } catch (ApiException e) {
      Map<String, String> headers = new HashMap<>();
      if (e.status() == 401) {
        headers.put("WWW-Authenticate", "Bearer realm=\"cairn\"");
      }
      if (e.retryAfter() > 0) {
        headers.put("Retry-After", Long.toString(e.retryAfter()));
      }
      return new Refusal(e.status(), e.code(), e.getMessage(), headers);
    }
  }

  private static boolean hasCredentials(HttpServerRequest request) {
    return request.getHeader("Authorization") != null || request.getHeader("X-Cairn-Token") != null;
  }

  private static String remote(HttpServerRequest request) {
    return request.remoteAddress() == null ? "-" : request.remoteAddress().hostAddress();
  }
}
