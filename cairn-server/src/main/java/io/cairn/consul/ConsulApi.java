package io.cairn.consul;

import io.cairn.api.Access;
import io.cairn.api.Action;
import io.cairn.api.ApiException;
import io.cairn.api.BlockingQueries;
import io.cairn.api.Caller;
import io.cairn.api.RegistryOperations;
import io.cairn.config.CairnConfig;
import io.cairn.http.Authentication;
import io.cairn.http.TokenSource;
import io.cairn.model.Command;
import io.cairn.model.Durations;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.node.CairnVersion;
import io.cairn.node.NodeState;
import io.cairn.registry.Replica;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The part of Consul's HTTP API that discovery tools use (Prometheus' {@code consul_sd_configs}, Spring Cloud Consul,
 * Vert.x's Consul bridge, consul-template's service queries), on the HTTP port under Consul's own {@code /v1} paths,
 * through the same operations, identity and ACL checks as Cairn's REST API. docs/API.md lists what it supports and
 * what it does not.
 *
 * <p>Reads are blocking queries: {@code X-Consul-Index} is the revision of the last change to what the read covers
 * (for a service, that name's last change; a deregistration counts), and {@code index=N&wait=D} waits until the
 * answer differs from what it was. Answers and errors are as Consul's: JSON bodies, errors as plain text, and every
 * write answers 200 on success (the Go and Vert.x clients take nothing else).
 */
public final class ConsulApi {
  /** Consul's default and longest waits of a blocking query. */
  private static final long DEFAULT_WAIT_MILLIS = 5 * 60_000;
  private static final long MAX_WAIT_MILLIS = 10 * 60_000;
  private static final String BODY = "consul.body";

  private final CairnConfig cfg;
  private final NodeState node;
  private final Replica replica;
  private final RegistryOperations ops;
  private final Access access;
  private final BlockingQueries blocking;
  private final ConsulViews views;
  private final String datacenter;

  /** An answer with the index it reflects (read before the answer, so that a client never skips a change). */
  private record Read(long index, Buffer body) {
  }

  public ConsulApi(CairnConfig cfg, NodeState node, Replica replica, RegistryOperations ops, BlockingQueries blocking) {
    this.cfg = cfg;
    this.node = node;
    this.replica = replica;
    this.ops = ops;
    this.access = ops.access();
    this.blocking = blocking;
    this.datacenter = cfg.consul().datacenter();
    this.views = new ConsulViews(replica, datacenter);
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
    router.get("/v1/catalog/services").handler(rc -> read(rc, this::catalogIndex, this::catalogServices));
    router.get("/v1/catalog/service/:name").handler(rc -> byName(rc, false));
    router.get("/v1/health/service/:name").handler(rc -> byName(rc, true));
    router.get("/v1/health/checks/:name").handler(rc -> {
      String name = serviceName(rc);
      read(rc, () -> nameIndex(name), caller -> {
        JsonArray checks = new JsonArray();
        for (ServiceEntry e : instances(caller, name, List.of())) {
          checks.addAll(views.checks(e, false));
        }
        return checks;
      });
    });
    router.get("/v1/health/state/:state").handler(rc -> {
      String state = rc.pathParam("state");
      if (!List.of("any", "passing", "warning", "critical").contains(state)) {
        throw new ApiException(400, "invalid_state", "Invalid state: " + state
            + " (one of any, passing, warning, critical)");
      }
      read(rc, this::catalogIndex, caller -> checksInState(caller, state));
    });
    router.get("/v1/catalog/datacenters").handler(rc -> answer(rc, 200, new JsonArray().add(datacenter)));
    router.get("/v1/catalog/nodes").handler(rc -> read(rc, this::catalogIndex, this::nodes));
    router.get("/v1/agent/self").handler(rc -> answer(rc, 200, self()));
    router.get("/v1/agent/services").handler(rc -> answer(rc, 200, agentServices(Authentication.caller(rc))));
    router.get("/v1/status/leader").handler(rc -> answer(rc, 200, leaderAddress()));
    // Consul's clients ask for the leader to know the cluster is up (Spring's health indicator does): any caller
    // may. The voters' addresses, like REST's /v1/status, need read on the cluster.
    router.get("/v1/status/peers").handler(rc -> {
      access.require(Authentication.caller(rc), Access.CLUSTER, Action.READ, "peers");
      answer(rc, 200, peers());
    });

    Handler<RoutingContext> body = bodyReader(cfg.http().maxBodyBytes());
    router.put("/v1/agent/service/register").handler(body).handler(this::register);
    router.put("/v1/agent/service/deregister/:id").handler(body).handler(rc ->
        write(rc, ops.deregister(Authentication.caller(rc), rc.pathParam("id"))));
    router.put("/v1/agent/service/maintenance/:id").handler(body).handler(this::maintenance);
    for (String status : new String[] {"pass", "warn", "fail"}) {
      router.put("/v1/agent/check/" + status + "/:checkId").handler(body).handler(rc ->
          report(rc, status, rc.queryParams().get("note")));
    }
    router.put("/v1/agent/check/update/:checkId").handler(body).handler(rc -> {
      JsonObject update = jsonBody(rc);
      Object status = ConsulRegistration.field(update, "Status");
      Object output = ConsulRegistration.field(update, "Output");
      String verb = "passing".equals(status) ? "pass" : "warning".equals(status) ? "warn"
          : "critical".equals(status) ? "fail" : null;
      if (verb == null) {
        throw new ApiException(400, "invalid_status", "Status must be passing, warning or critical");
      }
      report(rc, verb, output instanceof String ? (String) output : null);
    });
    router.route().failureHandler(rc -> {
      if (isConsulPath(rc.request().path())) {
        error(rc, rc.failure() != null ? rc.failure() : new ApiException(rc.statusCode(), "bad_request",
            rc.statusCode() == 413 ? "Request body too large" : "Request failed"));
      } else {
        rc.next();
      }
    });
  }

  // ---------------------------------------------------------------- reads

  private void byName(RoutingContext rc, boolean health) {
    String name = serviceName(rc);
    List<String> tags = rc.queryParams().getAll("tag");
    boolean passing = health && passing(rc.queryParams());
    read(rc, () -> nameIndex(name), caller -> {
      JsonArray result = new JsonArray();
      for (ServiceEntry e : instances(caller, name, tags)) {
        if (!health) {
          result.add(views.catalogEntry(e));
        } else if (!passing || views.allPassing(e)) {
          result.add(views.healthEntry(e));
        }
      }
      return result;
    });
  }

  /**
   * Instances of {@code name} with every tag (compared without regard to case, as Consul does), for a caller
   * allowed to read the name (403 otherwise).
   */
  private List<ServiceEntry> instances(Caller caller, String name, List<String> tags) {
    List<ServiceEntry> all = ops.instancesOf(caller, "consul", name);
    return tags.isEmpty() ? all : all.stream().filter(e -> tags.stream().allMatch(e::hasTagIgnoringCase)).toList();
  }

  private JsonObject catalogServices(Caller caller) {
    JsonObject services = new JsonObject();
    for (String name : new TreeSet<>(replica.names())) {
      if (!access.allowed(caller, Access.service(name), Action.READ)) {
        continue;
      }
      TreeSet<String> tags = new TreeSet<>();
      for (ServiceEntry e : instances(caller, name, List.of())) {
        tags.addAll(e.tags());
      }
      // A name with no instance left is gone from the replica: every name listed has one (Vert.x's bridge fails
      // its whole import on a name without instances).
      services.put(name, new JsonArray(new ArrayList<>(tags)));
    }
    return services;
  }

  private JsonArray checksInState(Caller caller, String state) {
    List<JsonObject> checks = new ArrayList<>();
    if (access.allowed(caller, Access.CLUSTER, Action.READ)) {
      checks.addAll(views.nodeChecks());
    }
    for (ServiceEntry e : replica.entries()) {
      if (access.allowed(caller, Access.service(e.name()), Action.READ)) {
        for (Object c : views.checks(e, false)) {
          checks.add((JsonObject) c);
        }
      }
    }
    checks.sort(Comparator.comparing((JsonObject c) -> c.getString("Node")).thenComparing(c -> c.getString("CheckID")));
    JsonArray result = new JsonArray();
    for (JsonObject c : checks) {
      if (state.equals("any") || state.equals(c.getString("Status"))) {
        result.add(c);
      }
    }
    return result;
  }

  private JsonArray nodes(Caller caller) {
    access.require(caller, Access.CLUSTER, Action.READ, "nodes");
    JsonArray nodes = new JsonArray();
    for (NodeInfo n : new TreeMap<>(replica.nodes()).values()) {
      nodes.add(new JsonObject().put("ID", n.id()).put("Node", n.id()).put("Address", n.host())
          .put("Datacenter", datacenter)
          .put("TaggedAddresses", new JsonObject().put("lan", n.host()).put("wan", n.host()))
          .put("Meta", new JsonObject()).put("CreateIndex", 1).put("ModifyIndex", 1));
    }
    return nodes;
  }

  private JsonObject self() {
    NodeInfo me = replica.node(node.nodeId());
    String address = me != null ? me.host() : cfg.http().advertisedHost();
    return new JsonObject()
        .put("Config", new JsonObject()
            .put("Datacenter", datacenter)
            .put("NodeName", node.nodeId())
            .put("NodeID", node.nodeId())
            .put("Server", true)
            .put("Version", CairnVersion.VERSION + "+cairn"))
        .put("Member", new JsonObject().put("Name", node.nodeId()).put("Addr", address).put("Status", 1))
        .put("Meta", new JsonObject());
  }

  /** The instances registered through this node, by id, as Consul's agent lists its own services. */
  private JsonObject agentServices(Caller caller) {
    JsonObject services = new JsonObject();
    for (ServiceEntry e : replica.entries()) {
      if (node.nodeId().equals(e.node()) && access.allowed(caller, Access.service(e.name()), Action.READ)) {
        services.put(e.id(), views.service(e));
      }
    }
    return services;
  }

  /** The Raft address of the leader ({@code host:port}), or "" when there is none, as a JSON string. */
  private String leaderAddress() {
    String leader = node.raft().leader();
    NodeInfo n = leader == null ? null : replica.node(leader);
    return n == null ? "" : raftAddress(n);
  }

  private JsonArray peers() {
    JsonArray peers = new JsonArray();
    for (String voter : node.raft().voters()) {
      NodeInfo n = replica.node(voter);
      if (n != null) {
        peers.add(raftAddress(n));
      }
    }
    return peers;
  }

  private static String raftAddress(NodeInfo n) {
    return n.clusterAddress() != null && !n.clusterAddress().isEmpty() ? n.clusterAddress() : n.host();
  }

  /**
   * Answers a read as a blocking query. {@code index} is the read's index; {@code read} builds the answer (and
   * refuses what the caller may not read).
   */
  private void read(RoutingContext rc, LongSupplier index, java.util.function.Function<Caller, Object> read) {
    Caller caller = Authentication.caller(rc);
    MultiMap params = rc.queryParams();
    checkQuery(params);
    ops.requireReady();
    long since = uint(params, "index");
    long wait = params.contains("wait") ? goDuration(params.get("wait"), "wait") : 0;
    if (wait <= 0) {
      wait = DEFAULT_WAIT_MILLIS; // as Consul: no wait, or 0, is the default
    }
    // The same question by the same caller reads the same: waiting reads share their re-reads.
    String key = caller.name() + " " + rc.request().path() + "?" + params.entries().stream()
        .filter(e -> !e.getKey().equals("index") && !e.getKey().equals("wait") && !e.getKey().equals("token"))
        .map(e -> e.getKey() + "=" + e.getValue()).sorted().collect(java.util.stream.Collectors.joining("&"));
    Supplier<Read> answer = () -> {
      long at = Math.max(1, index.getAsLong());
      return new Read(at, Json.encodeToBuffer(read.apply(caller)));
    };
    Future<Void> barrier = params.contains("consistent") ? ops.readBarrier() : Future.succeededFuture();
    long waitMillis = wait;
    barrier.compose(v -> blocking.await(key, current -> since == 0 || Math.max(1, current) != since, waitMillis,
            MAX_WAIT_MILLIS, index, answer, Read::body, cancel -> rc.response().closeHandler(x -> cancel.run())))
        .onComplete(ar -> {
          if (ar.failed()) {
            error(rc, ar.cause());
            return;
          }
          rc.response().putHeader("X-Consul-Index", Long.toString(ar.result().index()));
          answer(rc, 200, ar.result().body());
        });
  }

  /**
   * A service's index: its last change, or (for a name with no instance) the last time a name went away; and at
   * least the last change to the nodes, whose liveness its answers show (serfHealth, and so passing).
   */
  private long nameIndex(String name) {
    long r = replica.revisionFor(ServiceQuery.byName(name));
    return Math.max(r >= 0 ? r : -r - 1, replica.nodesRevision());
  }

  /** What spans every service changes with the registry's revision. */
  private long catalogIndex() {
    return replica.revision();
  }

  private void checkQuery(MultiMap params) {
    String dc = params.get("dc");
    if (dc != null && !dc.isEmpty() && !dc.equals(datacenter)) {
      throw new ApiException(500, "unknown_datacenter", "No path to datacenter");
    }
    if (params.contains("filter")) {
      throw new ApiException(400, "unsupported", "Cairn does not support Consul's filter expressions yet; "
          + "filter by tag with ?tag= (repeatable) and by health with ?passing");
    }
    if (params.contains("node-meta")) {
      throw new ApiException(400, "unsupported", "Cairn does not support node-meta filters");
    }
  }

  /** {@code passing}, {@code passing=1} and {@code passing=true} mean true, {@code passing=false} and absent false. */
  private static boolean passing(MultiMap params) {
    if (!params.contains("passing")) {
      return false;
    }
    String v = params.get("passing");
    return v.isEmpty() || flag("passing", v);
  }

  /** A boolean as Consul parses one (Go's ParseBool): 1, t, true or 0, f, false, in any case. */
  private static boolean flag(String key, String value) {
    switch (value.toLowerCase(Locale.ROOT)) {
      case "1": case "t": case "true": return true;
      case "0": case "f": case "false": return false;
      default: throw new ApiException(400, "invalid_value", "Invalid value for " + key + ": " + value);
    }
  }

  private static long uint(MultiMap params, String key) {
    String v = params.get(key);
    if (v == null || v.isEmpty()) {
      return 0;
    }
    try {
      long value = Long.parseUnsignedLong(v);
      return value < 0 ? Long.MAX_VALUE : value;
    } catch (NumberFormatException e) {
      throw new ApiException(400, "invalid_value", "Invalid " + key + ": " + v);
    }
  }

  private static long goDuration(String text, String key) {
    try {
      return Durations.parseGo(text);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "invalid_value", "Invalid " + key + ": " + e.getMessage());
    }
  }

  private static String serviceName(RoutingContext rc) {
    // Consul matches service names without regard to case; Cairn keeps them in lower case.
    return rc.pathParam("name").toLowerCase(Locale.ROOT);
  }

  // ---------------------------------------------------------------- writes

  private void register(RoutingContext rc) {
    JsonObject definition = ConsulRegistration.toCairn(jsonBody(rc), cfg.http().advertisedHost());
    String id = definition.getString("id");
    write(rc, ops.register(Authentication.caller(rc), definition, id, false, Command.NO_CAS));
  }

  /** {@code ?enable=true} disables the instance (Consul's maintenance mode), {@code enable=false} enables it. */
  private void maintenance(RoutingContext rc) {
    String enable = rc.queryParams().get("enable");
    if (enable == null || enable.isEmpty()) {
      throw new ApiException(400, "missing_value", "Missing value for enable");
    }
    Command.Type type = flag("enable", enable) ? Command.Type.DISABLE : Command.Type.ENABLE;
    write(rc, ops.operate(Authentication.caller(rc), type, rc.pathParam("id")));
  }

  /** A TTL check's report: {@code service:{id}} passes (a heartbeat), warns (degraded) or fails (unhealthy). */
  private void report(RoutingContext rc, String verb, String note) {
    String checkId = rc.pathParam("checkId");
    if (!checkId.startsWith(ConsulViews.SERVICE_CHECK_PREFIX)) {
      throw new ApiException(404, "not_found", "Unknown check ID \"" + checkId + "\". Cairn's check of an "
          + "instance is service:{instance id}");
    }
    String id = checkId.substring(ConsulViews.SERVICE_CHECK_PREFIX.length());
    Caller caller = Authentication.caller(rc);
    Future<RegistryOperations.Written> done = verb.equals("pass") ? ops.heartbeat(caller, id)
        : ops.reportTtl(caller, id, verb.equals("warn") ? Health.DEGRADED : Health.UNHEALTHY, note);
    write(rc, done);
  }

  private void write(RoutingContext rc, Future<?> done) {
    done.onComplete(ar -> {
      if (ar.failed()) {
        error(rc, ar.cause());
      } else if (!rc.response().ended()) {
        consulHeaders(rc);
        rc.response().setStatusCode(200).putHeader("Content-Type", "application/json").end();
      }
    });
  }

  /**
   * Reads a body of at most {@code limit} bytes, whatever its content type: Consul takes JSON sent as a form (curl's
   * {@code -d} default), and Vert.x's body handler would decode such a body as a form.
   */
  private static Handler<RoutingContext> bodyReader(int limit) {
    return rc -> {
      HttpServerRequest request = rc.request();
      Buffer body = Buffer.buffer();
      if (request.isEnded()) {
        rc.put(BODY, body); // no body, and it has been read already
        rc.next();
        return;
      }
      boolean[] tooLarge = {false};
      request.handler(chunk -> {
        if (tooLarge[0]) {
          return;
        }
        if (body.length() + chunk.length() > limit) {
          tooLarge[0] = true;
          error(rc, new ApiException(413, "body_too_large", "Request body too large (http.maxBodyBytes)"));
          return;
        }
        body.appendBuffer(chunk);
      });
      request.exceptionHandler(rc::fail);
      request.endHandler(v -> {
        if (!tooLarge[0]) {
          rc.put(BODY, body);
          rc.next();
        }
      });
      request.resume();
    };
  }

  private static JsonObject jsonBody(RoutingContext rc) {
    Buffer body = rc.get(BODY);
    if (body == null || body.length() == 0) {
      throw new ApiException(400, "invalid_body", "Request decode failed: the body is empty");
    }
    try {
      Object parsed = Json.decodeValue(body);
      if (!(parsed instanceof JsonObject)) {
        throw new ApiException(400, "invalid_body", "Request decode failed: the body must be a JSON object");
      }
      return (JsonObject) parsed;
    } catch (DecodeException e) {
      throw new ApiException(400, "invalid_body", "Request decode failed: the body is not valid JSON");
    }
  }

  // ---------------------------------------------------------------- answers

  private void answer(RoutingContext rc, int status, Object body) {
    answer(rc, status, Json.encodeToBuffer(body));
  }

  private void answer(RoutingContext rc, int status, Buffer body) {
    if (rc.response().ended()) {
      return;
    }
    consulHeaders(rc);
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body);
  }

  /**
   * Consul's headers, on every answer: answers that are not blocking queries carry an index too (the registry's
   * revision), since Consul's clients parse it from any answer.
   */
  private void consulHeaders(RoutingContext rc) {
    if (!rc.response().headers().contains("X-Consul-Index")) {
      rc.response().putHeader("X-Consul-Index", Long.toString(Math.max(1, replica.revision())));
    }
    rc.response()
        .putHeader("X-Consul-KnownLeader", Boolean.toString(node.current() && replica.leader() != null))
        .putHeader("X-Consul-LastContact", Long.toString(node.lastContactMillis()));
  }

  /** Consul's errors are plain text with the status. */
  private static void error(RoutingContext rc, Throwable failure) {
    ApiException e = ApiException.of(failure);
    if (rc.response().ended()) {
      return;
    }
    if (e.retryAfter() > 0) {
      rc.response().putHeader("Retry-After", Long.toString(e.retryAfter()));
    }
    rc.response().setStatusCode(e.status()).putHeader("Content-Type", "text/plain; charset=utf-8")
        .end(e.getMessage() == null ? "" : e.getMessage());
  }
}
