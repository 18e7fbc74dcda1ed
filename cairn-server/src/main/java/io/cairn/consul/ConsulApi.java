package io.cairn.consul;

import io.cairn.api.ApiException;
import io.cairn.api.BlockingQueries;
import io.cairn.api.CatalogQueries;
import io.cairn.api.RegistryOperations;
import io.cairn.config.ConsulSettings;
import io.cairn.config.HttpSettings;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.cairn.webapi.TokenSource;
import io.vertx.ext.web.Router;

/**
 * The part of Consul's HTTP API that discovery tools use (Prometheus' {@code consul_sd_configs}, Spring Cloud Consul,
 * Vert.x's Consul bridge, consul-template's service queries), on the HTTP port under Consul's own {@code /v1} paths,
 * through the same operations, identity and ACL checks as Cairn's REST API. docs/API.md lists what it supports and
 * what it does not.
 *
 * <p>Split by resource as Consul's own API is: {@link ConsulCatalog}, {@link ConsulHealth}, {@link ConsulAgent},
 * {@link ConsulStatus}. They read through {@link CatalogQueries}, which decides what each caller may see, and write
 * through {@link RegistryOperations}; {@link ConsulAnswers} answers as Consul does (blocking queries, headers) and
 * {@link ConsulErrors} renders errors as Consul's plain text.
 */
public final class ConsulApi {
  private final ConsulCatalog catalog;
  private final ConsulHealth health;
  private final ConsulAgent agent;
  private final ConsulStatus status;

  public ConsulApi(ConsulSettings consul, HttpSettings http, NodeState node, Replica replica, RegistryOperations ops,
                   BlockingQueries blocking) {
    String datacenter = consul.datacenter();
    // Consul's reads share the node's discovery cache with REST and DNS, under keys of their own.
    CatalogQueries queries = CatalogQueries.cached(replica, ops, "consul");
    ConsulViews views = new ConsulViews(queries, datacenter);
    ConsulAnswers answers = new ConsulAnswers(node, queries, ops, blocking, datacenter);
    this.catalog = new ConsulCatalog(queries, views, answers, datacenter);
    this.health = new ConsulHealth(queries, views, answers);
    this.agent = new ConsulAgent(http, node, queries, ops, views, answers, datacenter);
    this.status = new ConsulStatus(node, queries, answers);
  }

  /** Consul's paths, where a token may also come as {@code X-Consul-Token} or {@code ?token=}. */
  public static boolean isConsulPath(String path) {
    return path.startsWith("/v1/catalog/") || path.startsWith("/v1/health/") || path.startsWith("/v1/agent/")
        || path.startsWith("/v1/status/");
  }

  /** Consul's token, where a Consul client sends it: {@code X-Consul-Token}, or {@code ?token=}, on Consul's paths. */
  public static final TokenSource TOKENS = rc -> {
    if (!isConsulPath(rc.request().path())) {
      return null;
    }
    String header = rc.request().getHeader("X-Consul-Token");
    return header != null ? header : rc.queryParams().get("token");
  };

  /** Mounted before Cairn's REST routes: Consul's clients send JSON bodies with any content type, or none. */
  public void mount(Router router) {
    catalog.mount(router);
    health.mount(router);
    agent.mount(router);
    status.mount(router);
    // After every Consul route: a failure on Consul's paths (a refusal, a body too large) is answered as Consul's.
    router.route().failureHandler(rc -> {
      if (isConsulPath(rc.request().path())) {
        ConsulErrors.error(rc, rc.failure() != null ? rc.failure() : new ApiException(rc.statusCode(), "bad_request",
            rc.statusCode() == 413 ? "Request body too large" : "Request failed"));
      } else {
        rc.next();
      }
    });
  }
}
