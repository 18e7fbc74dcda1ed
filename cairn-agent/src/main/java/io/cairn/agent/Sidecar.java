package io.cairn.agent;

import io.cairn.client.CairnClient;
import io.cairn.gateway.Gateway;
import io.cairn.gateway.GatewaySettings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.ClientOptionsBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;

/**
 * The agent's proxy for its own application: {@code localhost:PORT} with {@code Host: {service}} reaches a healthy
 * instance of that service, by the routes written to the cluster, with the node's balancing, retries, ejection and
 * breakers (the same {@link Gateway}). Fed by one Watch of the whole registry, routes included, which the client
 * keeps current across node failures; it listens once the first snapshot arrived, so the application never hears
 * "no such service" from a sidecar that only has not heard of it yet.
 */
final class Sidecar {
  private static final Logger log = LoggerFactory.getLogger(Sidecar.class);
  /** How often what the gateway keeps of instances and routes that are gone is dropped (as on a node). */
  private static final long FORGET_EVERY_MILLIS = 30_000;
  private static final String DOMAIN = "cairn";
  private final Vertx vertx;
  private final CairnClient client;
  private final Where where;
  private final Function<ClientOptionsBase, ClientOptionsBase> upstreamTls;
  private String deployment;
  private long forgetTimer = -1;

  /**
   * Where the sidecar listens and runs.
   *
   * @param host     the address of both ports (loopback unless told otherwise)
   * @param port     HTTP/1.x
   * @param grpcPort HTTP/2 for gRPC calls; 0 for none
   * @param zone     where the application runs (the agent's {@code --zone}), for routes with zone affinity; null
   *                 when not said
   * @param region   likewise
   */
  record Where(String host, int port, int grpcPort, String zone, String region) {
  }

  /** @param upstreamTls client options for instances that speak TLS, or null for the JDK's authorities */
  Sidecar(Vertx vertx, CairnClient client, Where where, Function<ClientOptionsBase, ClientOptionsBase> upstreamTls) {
    this.vertx = vertx;
    this.client = client;
    this.where = where;
    this.upstreamTls = upstreamTls;
  }

  /** Watches everything, then listens: one listener per event loop of this process, at most four. */
  Future<Void> start() {
    Gateway gateway = new Gateway(GatewaySettings.defaults("cairn-agent", DOMAIN, where.zone(), where.region(), true),
        new WatchedInstances(() -> client.instances(CairnClient.EVERYTHING)),
        () -> client.routes(CairnClient.EVERYTHING), System::currentTimeMillis);
    int loops = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    return client.watch(CairnClient.EVERYTHING)
        .compose(loaded -> vertx.deployVerticle(() -> new SidecarVerticle(gateway, where.host(),
            where.port(), where.grpcPort(), upstreamTls),
            new DeploymentOptions().setInstances(loops)))
        .map(id -> {
          deployment = id;
          forgetTimer = vertx.setPeriodic(FORGET_EVERY_MILLIS, t -> gateway.forgetGone());
          log.info("Sidecar proxy listening on http://{}:{}{} (Host: {service} or {service}.{}; {} services known)",
              where.host(), where.port(), where.grpcPort() == 0 ? "" : " and, for gRPC, " + where.grpcPort(), DOMAIN, client.instances(CairnClient.EVERYTHING).stream().map(i -> i.getName())
                  .distinct().count());
          return null;
        });
  }

  /** Stops listening; requests under way are cut. */
  Future<Void> close() {
    vertx.cancelTimer(forgetTimer);
    return deployment == null ? Future.succeededFuture() : vertx.undeploy(deployment);
  }
}
