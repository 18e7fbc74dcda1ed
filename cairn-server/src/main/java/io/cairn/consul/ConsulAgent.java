package io.cairn.consul;

import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.CatalogQueries;
import io.cairn.api.RegistryOperations;
import io.cairn.config.HttpSettings;
import io.cairn.model.Command;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.node.CairnVersion;
import io.cairn.node.NodeState;
import io.cairn.webapi.Authentication;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Consul's {@code /v1/agent}, with this node as the agent: itself, the instances registered through it, and the
 * writes (registration, deregistration, maintenance mode, TTL checks' reports).
 */
final class ConsulAgent {
  private final HttpSettings http;
  private final NodeState node;
  private final CatalogQueries catalog;
  private final RegistryOperations ops;
  private final ConsulViews views;
  private final ConsulAnswers answers;
  private final String datacenter;

  ConsulAgent(HttpSettings http, NodeState node, CatalogQueries catalog, RegistryOperations ops, ConsulViews views,
              ConsulAnswers answers, String datacenter) {
    this.http = http;
    this.node = node;
    this.catalog = catalog;
    this.ops = ops;
    this.views = views;
    this.answers = answers;
    this.datacenter = datacenter;
  }

  /** Consul's clients send JSON bodies with any content type, or none: the writes read theirs as it comes. */
  void mount(Router router) {
    router.get("/v1/agent/self").handler(rc -> answers.answer(rc, 200, self()));
    router.get("/v1/agent/services").handler(rc -> answers.answer(rc, 200, services(Authentication.caller(rc))));

    Handler<RoutingContext> body = ConsulBody.reader(http.maxBodyBytes());
    router.put("/v1/agent/service/register").handler(body).handler(this::register);
    router.put("/v1/agent/service/deregister/:id").handler(body).handler(rc ->
        answers.write(rc, ops.deregister(Authentication.caller(rc), rc.pathParam("id"))));
    router.put("/v1/agent/service/maintenance/:id").handler(body).handler(this::maintenance);
    for (String status : new String[] {"pass", "warn", "fail"}) {
      router.put("/v1/agent/check/" + status + "/:checkId").handler(body).handler(rc ->
          report(rc, status, rc.queryParams().get("note")));
    }
    router.put("/v1/agent/check/update/:checkId").handler(body).handler(rc -> {
      JsonObject update = ConsulBody.json(rc);
      Object status = ConsulRegistration.field(update, "Status");
      Object output = ConsulRegistration.field(update, "Output");
      String verb = "passing".equals(status) ? "pass" : "warning".equals(status) ? "warn"
          : "critical".equals(status) ? "fail" : null;
      if (verb == null) {
        throw new ApiException(400, "invalid_status", "Status must be passing, warning or critical");
      }
      report(rc, verb, output instanceof String ? (String) output : null);
    });
  }

  private JsonObject self() {
    NodeInfo me = catalog.node(node.nodeId());
    String address = me != null ? me.host() : http.advertisedHost();
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
  private JsonObject services(Caller caller) {
    JsonObject services = new JsonObject();
    for (ServiceEntry e : catalog.registeredThrough(caller, node.nodeId())) {
      services.put(e.id(), views.service(e));
    }
    return services;
  }

  private void register(RoutingContext rc) {
    JsonObject definition = ConsulRegistration.toCairn(ConsulBody.json(rc), http.advertisedHost());
    String id = definition.getString("id");
    answers.write(rc, ops.register(Authentication.caller(rc), definition, id, false, Command.NO_CAS));
  }

  /** {@code ?enable=true} disables the instance (Consul's maintenance mode), {@code enable=false} enables it. */
  private void maintenance(RoutingContext rc) {
    String enable = rc.queryParams().get("enable");
    if (enable == null || enable.isEmpty()) {
      throw new ApiException(400, "missing_value", "Missing value for enable");
    }
    Command.Type type = ConsulParams.flag("enable", enable) ? Command.Type.DISABLE : Command.Type.ENABLE;
    answers.write(rc, ops.operate(Authentication.caller(rc), type, rc.pathParam("id")));
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
    answers.write(rc, done);
  }
}
