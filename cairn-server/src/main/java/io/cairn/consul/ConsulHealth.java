package io.cairn.consul;

import io.cairn.api.ApiException;
import io.cairn.api.Caller;
import io.cairn.api.CatalogQueries;
import io.cairn.model.ServiceEntry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Consul's {@code /v1/health}: a service's instances with their checks, a service's checks, checks by state. */
final class ConsulHealth {
  private static final List<String> STATES = List.of("any", "passing", "warning", "critical");

  private final CatalogQueries catalog;
  private final ConsulViews views;
  private final ConsulAnswers answers;

  ConsulHealth(CatalogQueries catalog, ConsulViews views, ConsulAnswers answers) {
    this.catalog = catalog;
    this.views = views;
    this.answers = answers;
  }

  void mount(Router router) {
    router.get("/v1/health/service/:name").handler(this::service);
    router.get("/v1/health/checks/:name").handler(rc -> {
      String name = ConsulParams.serviceName(rc);
      answers.read(rc, () -> catalog.nameIndex(name), caller -> {
        JsonArray checks = new JsonArray();
        for (ServiceEntry e : catalog.instances(caller, name, List.of(), false)) {
          checks.addAll(views.checks(e, false));
        }
        return checks;
      });
    });
    router.get("/v1/health/state/:state").handler(rc -> {
      String state = rc.pathParam("state");
      if (!STATES.contains(state)) {
        throw new ApiException(400, "invalid_state", "Invalid state: " + state
            + " (one of any, passing, warning, critical)");
      }
      answers.read(rc, catalog::revision, caller -> checksInState(caller, state));
    });
  }

  /** A service's instances with every {@code tag} given, and with {@code passing} only those whose checks all pass. */
  private void service(RoutingContext rc) {
    String name = ConsulParams.serviceName(rc);
    List<String> tags = rc.queryParams().getAll("tag");
    boolean passing = ConsulParams.passing(rc.queryParams());
    answers.read(rc, () -> catalog.nameIndex(name), caller -> {
      JsonArray result = new JsonArray();
      for (ServiceEntry e : catalog.instances(caller, name, tags, passing)) {
        result.add(views.healthEntry(e));
      }
      return result;
    });
  }

  /** The checks the caller may read in {@code state} ({@code any} for all): the nodes' with read on the cluster. */
  private JsonArray checksInState(Caller caller, String state) {
    List<JsonObject> checks = new ArrayList<>(views.nodeChecks(catalog.nodeIdsVisibleTo(caller)));
    for (ServiceEntry e : catalog.instances(caller)) {
      for (Object c : views.checks(e, false)) {
        checks.add((JsonObject) c);
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
}
