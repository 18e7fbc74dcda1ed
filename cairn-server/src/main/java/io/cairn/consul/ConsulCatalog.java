package io.cairn.consul;

import io.cairn.api.Caller;
import io.cairn.api.CatalogQueries;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/** Consul's {@code /v1/catalog}: the services with their tags, a service's instances, the datacenter, the nodes. */
final class ConsulCatalog {
  private final CatalogQueries catalog;
  private final ConsulViews views;
  private final ConsulAnswers answers;
  private final String datacenter;

  ConsulCatalog(CatalogQueries catalog, ConsulViews views, ConsulAnswers answers, String datacenter) {
    this.catalog = catalog;
    this.views = views;
    this.answers = answers;
    this.datacenter = datacenter;
  }

  void mount(Router router) {
    router.get("/v1/catalog/services").handler(rc -> answers.read(rc, catalog::revision, this::services));
    router.get("/v1/catalog/service/:name").handler(this::service);
    router.get("/v1/catalog/datacenters").handler(rc -> answers.answer(rc, 200, new JsonArray().add(datacenter)));
    router.get("/v1/catalog/nodes").handler(rc -> answers.read(rc, catalog::revision, this::nodes));
  }

  private JsonObject services(Caller caller) {
    JsonObject services = new JsonObject();
    // Every name listed has an instance (Vert.x's bridge fails its whole import on a name without instances).
    for (Map.Entry<String, SortedSet<String>> s : catalog.serviceTags(caller).entrySet()) {
      services.put(s.getKey(), new JsonArray(new ArrayList<>(s.getValue())));
    }
    return services;
  }

  /** A service's instances with every {@code tag} given, in the flat form of the catalog. */
  private void service(RoutingContext rc) {
    String name = ConsulParams.serviceName(rc);
    List<String> tags = rc.queryParams().getAll("tag");
    answers.read(rc, () -> catalog.nameIndex(name), caller -> {
      JsonArray result = new JsonArray();
      for (ServiceEntry e : catalog.instances(caller, name, tags, false)) {
        result.add(views.catalogEntry(e));
      }
      return result;
    });
  }

  private JsonArray nodes(Caller caller) {
    JsonArray nodes = new JsonArray();
    for (NodeInfo n : catalog.nodes(caller)) {
      nodes.add(new JsonObject().put("ID", n.id()).put("Node", n.id()).put("Address", n.host())
          .put("Datacenter", datacenter)
          .put("TaggedAddresses", new JsonObject().put("lan", n.host()).put("wan", n.host()))
          .put("Meta", new JsonObject()).put("CreateIndex", 1).put("ModifyIndex", 1));
    }
    return nodes;
  }
}
