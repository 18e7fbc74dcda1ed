package io.cairn.webapi;

import io.vertx.ext.web.RoutingContext;

/**
 * Where one protocol's clients send their token otherwise than as {@code Authorization: Bearer} (Consul's clients:
 * {@code X-Consul-Token}). The protocol supplies it; {@link Authentication} asks each before it looks elsewhere.
 */
@FunctionalInterface
public interface TokenSource {
  /** The token of this request if it is one of this protocol's (it may carry none: null), otherwise null. */
  String token(RoutingContext rc);
}
