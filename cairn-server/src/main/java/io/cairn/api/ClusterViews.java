package io.cairn.api;

import io.cairn.config.CairnConfig;
import io.cairn.health.CheckStats;
import io.cairn.model.Health;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.node.CairnVersion;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.RaftStatus;
import io.cairn.registry.Replica;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;

/** The read-only views of the node and the cluster: /v1/status, /v1/nodes, /v1/topology, /v1/stats. */
public final class ClusterViews {
  private final CairnConfig cfg;
  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final NodeStats stats;
  private final CheckStats checkStats;
  private final QueryCache cache;
  private volatile TopologyAt topology;
  private volatile DigestAt digest;

  public ClusterViews(CairnConfig cfg, NodeState node, Replica replica, Access access, NodeStats stats,
                      CheckStats checkStats, QueryCache cache) {
    this.cfg = cfg;
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.stats = stats;
    this.checkStats = checkStats;
    this.cache = cache;
  }

  public JsonObject status(Caller caller) {
    mayRead(caller, "status");
    Replica r = replica;
    long alive = r.nodes().values().stream().filter(NodeInfo::alive).count();
    return new JsonObject()
        .put("node", node.nodeId())
        .put("memberId", node.memberId())
        .put("version", CairnVersion.VERSION)
        .put("cluster", cfg.cluster().name())
        .put("ready", node.ready())
        .put("revision", r.revision())
        .put("role", role())
        .put("leader", r.leader())
        .put("term", r.term())
        .put("isLeader", node.isLeader())
        .put("leaderSince", r.leaderSince() > 0 ? r.leaderSince() : null)
        .put("leaderUptimeMillis", r.leaderSince() > 0 ? Math.max(0, System.currentTimeMillis() - r.leaderSince()) : null)
        .put("quorate", node.quorate())
        .put("current", node.current())
        .put("notCurrentBecause", node.notCurrentBecause())
        .put("raft", raft())
        .put("standing", node.standing().toJson())
        .put("services", r.size())
        .put("names", r.nameCount())
        .put("nodes", alive)
        .put("http", new JsonObject().put("host", cfg.http().advertisedHost()).put("port", cfg.http().port()))
        .put("startedAt", node.startedAt())
        .put("uptimeMillis", System.currentTimeMillis() - node.startedAt());
  }

  /** This node's part in the Raft group that holds the registry log. */
  private JsonObject raft() {
    RaftStatus raft = node.raft();
    return new JsonObject()
        .put("role", raft.membership())
        .put("state", raft.role())
        .put("leader", raft.leader())
        .put("term", raft.term())
        .put("quorate", raft.quorate())
        .put("voters", new JsonArray(raft.voters()))
        .put("learners", new JsonArray(raft.learners()))
        .put("votersWanted", cfg.raft().voters())
        .put("commitIndex", raft.commitIndex())
        .put("appliedIndex", raft.appliedIndex());
  }

  /** A member as this node sees it: the log's record, its state (suspect included), its role, its instances. */
  public record NodeView(NodeInfo info, String status, String role, int services, String problem) {
  }

  /** Every node the log knows, by id. */
  public java.util.List<NodeView> nodeViews(Caller caller) {
    mayRead(caller, "nodes");
    Replica r = replica;
    Map<String, Integer> perNode = new TreeMap<>();
    for (ServiceEntry e : r.entries()) {
      if (e.node() != null) {
        perNode.merge(e.node(), 1, Integer::sum);
      }
    }
    java.util.Set<String> live = node.liveMembers();
    Map<String, String> problems = node.peerProblems();
    java.util.List<NodeView> views = new java.util.ArrayList<>();
    for (NodeInfo n : new TreeMap<>(r.nodes()).values()) {
      boolean leads = n.id().equals(r.leader());
      String problem = n.id().equals(node.nodeId()) ? node.standing().problem() : problems.get(n.id());
      views.add(new NodeView(n, state(n, live), leads ? "leader" : n.alive() ? "follower" : "none",
          perNode.getOrDefault(n.id(), 0), problem));
    }
    return views;
  }

  public JsonObject nodes(Caller caller) {
    Replica r = replica;
    JsonArray nodes = new JsonArray();
    for (NodeView v : nodeViews(caller)) {
      nodes.add(ModelJson.toJson(v.info())
          .put("status", v.status())
          .put("role", v.role())
          .put("leader", v.role().equals("leader"))
          .put("lagging", v.problem() != null)
          .put("problem", v.problem())
          .put("services", v.services()));
    }
    return new JsonObject().put("revision", r.revision()).put("leader", r.leader()).put("term", r.term()).put("nodes", nodes);
  }

  /**
   * This node's part: leader (named by the log, Raft's leader of that term, in touch with a majority), follower, or
   * leaving. A leader cut off in a minority reports follower: it decides nothing there.
   */
  private String role() {
    if (node.leaving()) {
      return "leaving";
    }
    return node.actsAsLeader() ? "leader" : "follower";
  }

  /**
   * A node's state: what the log says (alive, left, failed), except that a node the log still has as alive but
   * whose process Hazelcast no longer lists is "suspect" until the leader records its failure.
   */
  static String state(NodeInfo n, java.util.Set<String> liveMembers) {
    if (n.alive() && !liveMembers.contains(n.memberId())) {
      return "suspect";
    }
    return n.status().json();
  }

  /** Counts by region, zone, health and node; recomputed only when the replica's revision moved. */
  public JsonObject topology(Caller caller) {
    mayRead(caller, "topology");
    Replica r = replica;
    long revision = r.revision();
    TopologyAt cached = topology;
    if (cached != null && cached.revision == revision) {
      return cached.json.copy();
    }
    Map<String, Integer> byRegion = new TreeMap<>();
    Map<String, Integer> byZone = new TreeMap<>();
    Map<String, Integer> byStatus = new TreeMap<>();
    Map<String, Integer> byNode = new TreeMap<>();
    for (Health h : Health.values()) {
      byStatus.put(h.json(), 0);
    }
    int total = 0;
    int passing = 0;
    int disabled = 0;
    int draining = 0;
    for (ServiceEntry e : r.entries()) {
      total++;
      byRegion.merge(e.region() == null ? "none" : e.region(), 1, Integer::sum);
      byZone.merge(e.zone() == null ? "none" : e.zone(), 1, Integer::sum);
      byStatus.merge(e.health().json(), 1, Integer::sum);
      byNode.merge(e.node() == null ? "none" : e.node(), 1, Integer::sum);
      passing += e.passing() ? 1 : 0;
      disabled += e.enabled() ? 0 : 1;
      draining += e.draining() ? 1 : 0;
    }
    for (NodeInfo n : r.nodes().values()) {
      if (n.alive()) {
        byNode.putIfAbsent(n.id(), 0);
      }
    }
    JsonObject json = new JsonObject()
        .put("revision", revision)
        .put("leader", r.leader())
        .put("term", r.term())
        .put("leaderSince", r.leaderSince() > 0 ? r.leaderSince() : null)
        .put("total", total)
        .put("passing", passing)
        .put("disabled", disabled)
        .put("draining", draining)
        .put("names", r.nameCount())
        .put("byRegion", new JsonObject(new java.util.LinkedHashMap<>(byRegion)))
        .put("byZone", new JsonObject(new java.util.LinkedHashMap<>(byZone)))
        .put("byStatus", new JsonObject(new java.util.LinkedHashMap<>(byStatus)))
        .put("byNode", new JsonObject(new java.util.LinkedHashMap<>(byNode)));
    topology = new TopologyAt(revision, json);
    return json.copy();
  }

  /** The cluster views (status, nodes, topology) are for callers that may read {@code cluster}. */
  private void mayRead(Caller caller, String view) {
    access.require(caller, Access.CLUSTER, Action.READ, view);
  }

  /** An admin view: refused unless the caller may administer {@code cluster}; audited either way. */
  public void requireAdmin(Caller caller, String view) {
    access.require(caller, Access.CLUSTER, Action.ADMIN, view);
    access.record(caller, view, Access.CLUSTER, "ok", -1);
  }

  public JsonObject stats(Caller caller) {
    requireAdmin(caller, "stats");
    Replica r = replica;
    long calls = stats.appendCalls();
    long appended = stats.commandsAppended();
    Runtime rt = Runtime.getRuntime();
    long revision = r.revision();
    DigestAt d = digest;
    if (d == null || d.revision != revision) {
      // Hashes every instance: cached per revision so that polling /v1/stats stays cheap on a quiet registry.
      d = new DigestAt(revision, r.digest());
      digest = d;
    }
    return new JsonObject()
        .put("revision", revision)
        .put("node", node.nodeId())
        .put("replica", new JsonObject()
            .put("digest", d.digest)
            .put("services", r.size())
            .put("names", r.nameCount())
            .put("nodes", r.nodes().size())
            .put("commandsApplied", stats.commandsApplied())
            .put("snapshotsLoaded", stats.snapshotsLoaded())
            .put("snapshotsWritten", stats.snapshotsWritten()))
        .put("log", new JsonObject()
            .put("commandsAppended", appended)
            .put("appendCalls", calls)
            .put("averageBatch", calls == 0 ? 0.0 : Math.round(appended * 100.0 / calls) / 100.0))
        .put("cache", new JsonObject()
            .put("entries", cache.size())
            .put("hits", cache.hits())
            .put("misses", cache.misses()))
        .put("events", new JsonObject().put("published", stats.eventsPublished()))
        .put("checks", checkStats.toJson())
        .put("persistence", new JsonObject()
            .put("commitIndex", node.raft().commitIndex())
            .put("appliedIndex", node.raft().appliedIndex())
            .put("lag", Math.max(0, node.raft().commitIndex() - node.raft().appliedIndex()))
            .put("snapshotRevision", node.diskSnapshotRevision())
            .put("snapshotAgeMillis", node.diskSnapshotAt() == 0 ? null : System.currentTimeMillis() - node.diskSnapshotAt()))
        .put("jvm", new JsonObject()
            .put("heapUsedBytes", rt.totalMemory() - rt.freeMemory())
            .put("heapMaxBytes", rt.maxMemory()));
  }

  private record TopologyAt(long revision, JsonObject json) {
  }

  private record DigestAt(long revision, String digest) {
  }
}
