package io.cairn.gateway;

import io.cairn.model.Route;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/** What spreading a request reads of it: headers and the client's address. */
interface RequestFacts {
  /** Headers by name, whatever their case; null when absent. */
  String header(String name);

  /** The address the request came from, or null. */
  String clientAddress();

  static RequestFacts of(HttpServerRequest request) {
    return new RequestFacts() {
      @Override
      public String header(String name) {
        return request.headers().get(name);
      }

      @Override
      public String clientAddress() {
        SocketAddress remote = request.remoteAddress();
        return remote == null ? null : remote.hostAddress();
      }
    };
  }

  /** The request's value of {@code key}: the header, the cookie or the client's address; null when it has none. */
  default String read(Route.Key key) {
    if (key.header() != null) {
      String value = header(key.header());
      return value == null || value.isEmpty() ? null : value;
    }
    if (key.cookie() != null) {
      return cookie(header("Cookie"), key.cookie());
    }
    return clientAddress();
  }

  /** A cookie's value in a {@code Cookie} header ({@code a=1; b=2}), or null. */
  static String cookie(String header, String name) {
    if (header == null) {
      return null;
    }
    for (String pair : header.split(";")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
        String value = pair.substring(eq + 1).trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
          value = value.substring(1, value.length() - 1);
        }
        return value.isEmpty() ? null : value;
      }
    }
    return null;
  }
}
