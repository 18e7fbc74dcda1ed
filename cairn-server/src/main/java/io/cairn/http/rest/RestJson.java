package io.cairn.http.rest;

import io.cairn.api.BridgeViews;
import io.cairn.api.CheckOperations;
import io.cairn.api.ClusterViews;
import io.cairn.gateway.Gateway;
import io.cairn.gateway.Upstreams;
import io.cairn.health.CheckStats;
import io.cairn.model.ModelJson;
import io.cairn.model.Route;
import io.cairn.model.Routes;
import io.cairn.node.BridgeStatus;
import io.cairn.node.RaftStatus;
import io.cairn.node.Standing;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON of the REST API's answers, one method per record {@code api/} answers with. Field names, nesting, order
 * and nulls are what clients read (a null is written, not left out, where a field may have no value), so a change
 * here is a change of the API.
 */
public final class RestJson {
  private RestJson() {
  }

  /** {@code GET /v1/status}. */
  public static JsonObject status(ClusterViews.Status s) {
    return new JsonObject()
        .put("node", s.node())
        .put("memberId", s.memberId())
        .put("version", s.version())
        .put("cluster", s.cluster())
        .put("ready", s.ready())
        .put("revision", s.revision())
        .put("role", s.role())
        .put("leader", s.leader())
        .put("term", s.term())
        .put("isLeader", s.isLeader())
        .put("leaderSince", s.leaderSince())
        .put("leaderUptimeMillis", s.leaderUptimeMillis())
        .put("quorate", s.quorate())
        .put("current", s.current())
        .put("notCurrentBecause", s.notCurrentBecause())
        .put("raft", raft(s.raft(), s.votersWanted()))
        .put("standing", standing(s.standing()))
        .put("services", s.services())
        .put("names", s.names())
        .put("nodes", s.nodes())
        .put("http", new JsonObject().put("host", s.httpHost()).put("port", s.httpPort()))
        .put("startedAt", s.startedAt())
        .put("uptimeMillis", s.uptimeMillis());
  }

  /** This node's part in the Raft group that holds the registry log. */
  private static JsonObject raft(RaftStatus raft, int votersWanted) {
    return new JsonObject()
        .put("role", raft.membership())
        .put("state", raft.role())
        .put("leader", raft.leader())
        .put("term", raft.term())
        .put("quorate", raft.quorate())
        .put("voters", new JsonArray(raft.voters()))
        .put("learners", new JsonArray(raft.learners()))
        .put("votersWanted", votersWanted)
        .put("commitIndex", raft.commitIndex())
        .put("appliedIndex", raft.appliedIndex());
  }

  /** Storage, lag and quota; free space is null before it was first measured. */
  private static JsonObject standing(Standing s) {
    return new JsonObject()
        .put("current", s.problem() == null)
        .put("problem", s.problem())
        .put("storage", new JsonObject()
            .put("freeBytes", s.freeBytes() == Long.MAX_VALUE ? null : s.freeBytes())
            .put("minFreeBytes", s.minFreeBytes())
            .put("logWritable", s.logFailure() == null)
            .put("logFailure", s.logFailure())
            .put("writable", s.storageRefusal() == null))
        .put("lag", new JsonObject()
            .put("revisions", s.lagRevisions())
            .put("millis", s.lagMillis())
            .put("maxRevisions", s.maxLagRevisions())
            .put("maxMillis", s.maxLagMillis()))
        .put("quota", new JsonObject()
            .put("instances", s.instances())
            .put("maxInstances", s.maxInstances())
            .put("estimatedBytes", s.registryBytes())
            .put("maxBytes", s.maxBytes())
            .put("full", s.quotaRefusal(s.instances(), 1, s.meanEntryBytes()) != null));
  }

  /** {@code GET /v1/nodes}: each node is the log's record with how this node sees it. */
  public static JsonObject nodes(ClusterViews.Nodes n) {
    JsonArray nodes = new JsonArray();
    for (ClusterViews.NodeView v : n.nodes()) {
      nodes.add(ModelJson.toJson(v.info())
          .put("status", v.status())
          .put("role", v.role())
          .put("leader", v.leader())
          .put("lagging", v.problem() != null)
          .put("problem", v.problem())
          .put("services", v.services()));
    }
    return new JsonObject().put("revision", n.revision()).put("leader", n.leader()).put("term", n.term())
        .put("nodes", nodes);
  }

  /** {@code GET /v1/bridges}. */
  public static JsonObject bridges(List<BridgeViews.BridgeView> views) {
    JsonArray bridges = new JsonArray();
    for (BridgeViews.BridgeView v : views) {
      BridgeStatus s = v.last();
      JsonObject j = new JsonObject().put("id", v.id()).put("type", v.type()).put("target", v.target())
          .put("running", v.running()).put("node", v.running() ? s.node() : null)
          .put("connected", v.running() && s.connected());
      if (s != null) {
        j.put("term", s.term()).put("lastRevision", s.lastRevision()).put("lagRevisions", s.lagRevisions())
            .put("lagSeconds", s.lagMillis() / 1000.0).put("errors", s.errors()).put("lastError", s.lastError())
            .put("lastErrorAt", s.lastErrorAt() == 0 ? null : Instant.ofEpochMilli(s.lastErrorAt()).toString())
            .put("lastRanOn", s.node());
      }
      bridges.add(j);
    }
    return new JsonObject().put("bridges", bridges);
  }

  /** {@code GET /v1/topology}. */
  public static JsonObject topology(ClusterViews.Topology t) {
    return new JsonObject()
        .put("revision", t.revision())
        .put("leader", t.leader())
        .put("term", t.term())
        .put("leaderSince", t.leaderSince())
        .put("total", t.total())
        .put("passing", t.passing())
        .put("disabled", t.disabled())
        .put("draining", t.draining())
        .put("names", t.names())
        .put("byRegion", counts(t.byRegion()))
        .put("byZone", counts(t.byZone()))
        .put("byStatus", counts(t.byStatus()))
        .put("byNode", counts(t.byNode()));
  }

  /** In the map's order (sorted by key). */
  private static JsonObject counts(Map<String, Integer> counts) {
    return new JsonObject(new LinkedHashMap<>(counts));
  }

  /** {@code GET /v1/stats}. */
  public static JsonObject stats(ClusterViews.Stats s) {
    ClusterViews.ReplicaFigures replica = s.replica();
    ClusterViews.Persistence persistence = s.persistence();
    return new JsonObject()
        .put("revision", s.revision())
        .put("node", s.node())
        .put("replica", new JsonObject()
            .put("digest", replica.digest())
            .put("services", replica.services())
            .put("names", replica.names())
            .put("nodes", replica.nodes())
            .put("commandsApplied", replica.commandsApplied())
            .put("snapshotsLoaded", replica.snapshotsLoaded())
            .put("snapshotsWritten", replica.snapshotsWritten()))
        .put("log", new JsonObject()
            .put("commandsAppended", s.log().commandsAppended())
            .put("appendCalls", s.log().appendCalls())
            .put("averageBatch", s.log().averageBatch()))
        .put("cache", new JsonObject()
            .put("entries", s.cache().entries())
            .put("hits", s.cache().hits())
            .put("misses", s.cache().misses()))
        .put("events", new JsonObject().put("published", s.eventsPublished()))
        .put("checks", checks(s.checks()))
        .put("persistence", new JsonObject()
            .put("commitIndex", persistence.commitIndex())
            .put("appliedIndex", persistence.appliedIndex())
            .put("lag", persistence.lag())
            .put("snapshotRevision", persistence.snapshotRevision())
            .put("snapshotAgeMillis", persistence.snapshotAgeMillis()))
        .put("jvm", new JsonObject()
            .put("heapUsedBytes", s.jvm().heapUsedBytes())
            .put("heapMaxBytes", s.jvm().heapMaxBytes()));
  }

  private static JsonObject checks(CheckStats.Figures c) {
    return new JsonObject()
        .put("owned", c.owned())
        .put("runs", c.runs())
        .put("skippedByBackoff", c.skippedByBackoff())
        .put("latenessP50Millis", c.latenessP50Millis())
        .put("latenessP99Millis", c.latenessP99Millis())
        .put("latenessMaxMillis", c.latenessMaxMillis())
        .put("scheduledRuns", c.scheduledRuns());
  }

  /** {@code GET /v1/services/{id}}: the instance, with a newer check run than the log's as its {@code lastCheck}. */
  public static JsonObject instance(CheckOperations.Checked checked) {
    JsonObject json = ModelJson.toJson(checked.entry());
    if (checked.newerRun() != null) {
      json.put("lastCheck", ModelJson.toJson(checked.newerRun()));
    }
    return json;
  }

  /**
   * {@code POST /v1/services/{id}/check}: {@code {id, result: {at, status, output, durationMillis, node}, health}},
   * or {@code {id, error}} when the owner could not run it.
   */
  public static JsonObject checkRun(CheckOperations.CheckRun run) {
    JsonObject json = new JsonObject().put("id", run.id());
    if (run.error() != null) {
      return json.put("error", run.error());
    }
    return json.put("result", ModelJson.toJson(run.result())).put("health", run.health());
  }

  /**
   * {@code POST /v1/checks/run}: {@code {ran, healthy, degraded, unhealthy, nodes: [{node, ran, healthy, degraded,
   * unhealthy}]}}, a node that could not be asked as {@code {node, error}}.
   */
  public static JsonObject checksRun(CheckOperations.ChecksRun run) {
    JsonArray nodes = new JsonArray();
    for (CheckOperations.NodeRuns n : run.nodes()) {
      JsonObject json = new JsonObject().put("node", n.node());
      if (n.error() != null) {
        json.put("error", n.error());
      } else {
        json.put("ran", n.ran()).put("healthy", n.healthy()).put("degraded", n.degraded())
            .put("unhealthy", n.unhealthy());
      }
      nodes.add(json);
    }
    return new JsonObject().put("ran", run.ran()).put("healthy", run.healthy()).put("degraded", run.degraded())
        .put("unhealthy", run.unhealthy()).put("nodes", nodes);
  }

  /** {@code GET /v1/proxy/upstreams}: {@code {services: [...], splits: [...]}}, this node's proxy's own view. */
  public static JsonObject upstreams(List<Upstreams> services, List<Gateway.SplitShare> splits) {
    JsonArray s = new JsonArray();
    services.forEach(u -> s.add(upstreams(u)));
    JsonArray sp = new JsonArray();
    splits.forEach(share -> sp.add(split(share)));
    return new JsonObject().put("services", s).put("splits", sp);
  }

  private static JsonObject upstreams(Upstreams u) {
    JsonArray instances = new JsonArray();
    for (Upstreams.Instance i : u.instances()) {
      instances.add(new JsonObject().put("id", i.id()).put("address", i.address()).put("port", i.port())
          .put("inFlight", i.inFlight()).put("requests", i.requests())
          .put("recentErrorRate", Math.round(i.recentErrorRate() * 1000) / 1000.0)
          .put("requestsPerSecond", Math.round(i.requestsPerSecond() * 10) / 10.0)
          .put("ejected", i.ejected()).put("ejectedUntil", i.ejected() ? i.ejectedUntil() : null));
    }
    return new JsonObject().put("service", u.service()).put("activeRequests", u.activeRequests())
        .put("breakerOpen", u.breakerOpen()).put("ejected", u.ejected()).put("instances", instances);
  }

  /**
   * {@code {route, service, revision, sides: [{select, weight, recentRequests, recentShare}]}}: each side's select as
   * the route document writes it, and its share of the route's recent requests (to 3 decimals; 0 when none came).
   */
  private static JsonObject split(Gateway.SplitShare share) {
    Route route = share.route();
    List<Route.Split> split = route.traffic().split();
    long total = share.recent().stream().mapToLong(Long::longValue).sum();
    JsonArray sides = new JsonArray();
    for (int i = 0; i < split.size(); i++) {
      long recent = i < share.recent().size() ? share.recent().get(i) : 0;
      sides.add(new JsonObject().put("select", Routes.toJson(split.get(i).select()))
          .put("weight", split.get(i).weight()).put("recentRequests", recent)
          .put("recentShare", total == 0 ? 0.0 : Math.round(recent * 1000.0 / total) / 1000.0));
    }
    return new JsonObject().put("route", route.id()).put("service", route.service())
        .put("revision", route.revision()).put("sides", sides);
  }
}
