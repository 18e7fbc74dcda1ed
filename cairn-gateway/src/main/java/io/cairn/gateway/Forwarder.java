package io.cairn.gateway;

import io.cairn.model.Route;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.ClientOptionsBase;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One event loop's gateway: takes each request of its HTTP server to an instance, with its own HTTP client (so a
 * request and its upstream connection stay on one event loop), sharing the node-wide {@link Gateway} state.
 *
 * <p>Order of work for a request: framing and path checks (400), the route (404), the caller's admission (401,
 * 403, 429), the service's breaker (503 overloaded), then an {@link Exchange} tries instances until one answers
 * (a {@link GrpcExchange} for a gRPC call). A gRPC call gets the gateway's own answers in gRPC's shape.
 */
public final class Forwarder {
  private final Vertx vertx;
  private final Gateway gateway;
  private final Admission admission;
  private final GatewayObserver observer;
  private final Set<String> consumedHeaders;
  /** Distinct pairs of route breaker limits that get pools of their own on a loop. */
  private static final int MAX_CLIENT_POOLS = 16;
  private final Function<ClientOptionsBase, ClientOptionsBase> upstreamTls;
  /** This loop's clients, one pair per pair of breaker limits in use (the node's, and any a route sets). */
  private final Map<List<Integer>, UpstreamClients> clients = new HashMap<>();
  private final WebSocketClient webSockets;
  /** Connections that sent an ambiguously framed request (this loop's only: no locking). */
  private final Set<HttpConnection> refused = new HashSet<>();

  /**
   * @param upstreamTls     client options for instances that speak TLS (trust, client certificate), or null to
   *                        trust the JDK's default authorities
   * @param consumedHeaders request headers the admission reads and the upstream must not see (a Cairn token)
   */
  public Forwarder(Vertx vertx, Gateway gateway, Admission admission, GatewayObserver observer,
                   Function<ClientOptionsBase, ClientOptionsBase> upstreamTls, Set<String> consumedHeaders) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.admission = admission;
    this.observer = observer;
    this.consumedHeaders = consumedHeaders;
    this.upstreamTls = upstreamTls;
    GatewaySettings s = gateway.settings();
    WebSocketClientOptions ws = new WebSocketClientOptions().setConnectTimeout((int) s.connectTimeoutMillis())
        .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 24).setMaxConnections(s.maxConnections());
    if (upstreamTls != null) {
      upstreamTls.apply(ws);
    }
    this.webSockets = vertx.createWebSocketClient(ws);
  }

  /**
   * What the listening server of a gateway needs, whoever runs it: HTTP/1.1 only on a cleartext port (Vert.x tells
   * h2c from HTTP/1.1 only after decoding the first request, too late for {@link #onConnection}'s decoder to see it;
   * HTTP/2 is for TLS, where ALPN settles the protocol first), a request line of at most 16 KB (or
   * {@code maxHeaderBytes}), headers of at most {@code maxHeaderBytes}, and idle connections closed.
   */
  public static HttpServerOptions serverOptions(String host, int port, int maxHeaderBytes, long idleTimeoutMillis) {
    return new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setTcpNoDelay(true)
        .setHandle100ContinueAutomatically(true)
        .setHttp2ClearTextEnabled(false)
        .setMaxInitialLineLength(Math.min(16 * 1024, maxHeaderBytes))
        .setMaxHeaderSize(maxHeaderBytes)
        .setIdleTimeout((int) idleTimeoutMillis)
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /**
   * Puts the decoder that refuses ambiguous framing on each new connection of the server that uses this. The
   * server must settle HTTP/1.x before the first request is decoded (no h2c on a cleartext port): a decoder swapped
   * in mid-request would hand the rest of the connection's bytes past itself.
   */
  public static void onConnection(HttpConnection connection, HttpServerOptions options) {
    StrictFraming.install(connection, options);
  }

  public void handle(HttpServerRequest request) {
    // Nothing of the body may be read before an instance is chosen and connected.
    request.pause();
    if (refused.contains(request.connection())) {
      // What followed a refused request on its connection: read and dropped until the connection closes.
      return;
    }
    String framing = ForwardedHeaders.framingProblem(request);
    if (framing != null) {
      HttpConnection connection = request.connection();
      refused.add(connection);
      connection.closeHandler(v -> refused.remove(connection));
      ProxyAnswers.badFraming(vertx, request, framing);
      return;
    }
    String path = Paths.normalize(request.path());
    if (path == null) {
      ProxyAnswers.error(request, 400, "bad_path",
          "the path must be absolute, without encoded slashes, and must not climb above /");
      return;
    }
    String host = request.authority() == null ? null : request.authority().toString();
    RouteTable table = gateway.table();
    RouteTable.Resolution resolution = table.resolve(host, path, request.method().name(), request.headers()::get);
    if (resolution == null) {
      ProxyAnswers.error(request, 404, "no_route", table.explainMiss(host, path, request.method().name()));
      return;
    }
    Route route = resolution.route();
    Admission.Refusal refusal = admission.admit(request, route.service());
    if (refusal != null) {
      ProxyAnswers.error(request, refusal.status(), refusal.code(), refusal.message(), refusal.headers());
      return;
    }
    boolean known = gateway.instances().known(route.service());
    if (!known) {
      // State is kept only for services with instances, so Host headers naming anything cannot grow it.
      if (RouteTable.isDefault(route)) {
        // Host or path routing named a service nobody registered: nothing matched, as far as the client can tell.
        ProxyAnswers.error(request, 404, "no_route", "no service '" + route.service() + "' is registered ("
            + table.explainMiss(host, path, request.method().name()) + ")");
      } else {
        ProxyAnswers.error(request, 503, "no_healthy_instance", noInstanceMessage(route));
      }
      return;
    }
    RouteState routeState = gateway.route(route);
    Plan plan = gateway.planner().plan(routeState, id -> gateway.ejected(route.service(), id),
        RequestFacts.of(request));
    if (plan.refusal() != null) {
      ProxyAnswers.error(request, 400, "bad_request", plan.refusal());
      return;
    }
    if (plan.isEmpty()) {
      ProxyAnswers.error(request, 503, "no_healthy_instance", noInstanceMessage(route));
      observer.answered(route.service(), route.id(), 503, 0, 0);
      return;
    }
    ServiceState service = gateway.service(route.service());
    int limit = route.breaker().maxConcurrentRequests() > 0 ? route.breaker().maxConcurrentRequests()
        : gateway.settings().maxConcurrentRequests();
    if (!service.breaker.tryAcquire(limit)) {
      ProxyAnswers.error(request, 503, "overloaded", "service '" + route.service() + "' has " + limit
          + " requests in flight through this node (its breaker's maxConcurrentRequests); retry later",
          Map.of(ProxyAnswers.OVERLOADED, "true"));
      observer.answered(route.service(), route.id(), 503, 0, 0);
      return;
    }
    String query = request.query();
    String uri = resolution.upstreamPath() + (query == null ? "" : "?" + query);
    routeState.tookSide(plan.side());
    if (GrpcExchange.accepts(request)) {
      new GrpcExchange(vertx, gateway, observer, request, routeState, service, plan, uri, consumedHeaders)
          .start(clientsFor(route));
      return;
    }
    Exchange exchange = new Exchange(vertx, gateway, observer, request, routeState, service, plan, uri,
        consumedHeaders);
    if (isWebSocketUpgrade(request)) {
      new WebSocketRelay(exchange, webSockets).start();
    } else {
      exchange.start(clientsFor(route));
    }
  }

  /** Why no instance may serve: the route's select, its split and the caller's own narrowing all count. */
  static String noInstanceMessage(Route route) {
    boolean narrowed = !route.select().isAll() || !route.traffic().split().isEmpty();
    return "service '" + route.service() + "' has no instance in rotation" + (narrowed ? " that the route's select "
        + "and split admit" : "") + " (healthy or degraded, enabled, not draining; " + TrafficPlanner.VERSION_HEADER
        + " and " + TrafficPlanner.TAG_HEADER + " narrow it further)";
  }

  /** The clients under the route's breaker limits where it sets them, else the node's. */
  private UpstreamClients clientsFor(Route route) {
    GatewaySettings s = gateway.settings();
    int connections = route.breaker().maxConnections() > 0 ? route.breaker().maxConnections() : s.maxConnections();
    int pending = route.breaker().maxPendingRequests() > 0 ? route.breaker().maxPendingRequests()
        : s.maxPendingRequests();
    List<Integer> limits = List.of(connections, pending);
    UpstreamClients found = clients.get(limits);
    if (found != null) {
      return found;
    }
    if (clients.size() >= MAX_CLIENT_POOLS) {
      // Routes rewritten with ever new limits must not open pools without end: past the bound, the node's limits.
      return clients.computeIfAbsent(List.of(s.maxConnections(), s.maxPendingRequests()),
          k -> new UpstreamClients(vertx, s, s.maxConnections(), s.maxPendingRequests(), upstreamTls));
    }
    return clients.computeIfAbsent(limits, k -> new UpstreamClients(vertx, s, connections, pending, upstreamTls));
  }

  private static boolean isWebSocketUpgrade(HttpServerRequest request) {
    String upgrade = request.headers().get(HttpHeaders.UPGRADE);
    return upgrade != null && upgrade.equalsIgnoreCase("websocket") && request.version() != HttpVersion.HTTP_2;
  }

  public void close() {
    clients.values().forEach(UpstreamClients::close);
    webSockets.close();
  }
}
