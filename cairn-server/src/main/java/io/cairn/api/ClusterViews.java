package io.cairn.api;

import io.cairn.config.ClusterSettings;
import io.cairn.config.HttpSettings;
import io.cairn.config.RaftSettings;
import io.cairn.health.CheckStats;
import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.node.CairnVersion;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.node.RaftStatus;
import io.cairn.node.Standing;
import io.cairn.registry.Replica;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The read-only views of the node and the cluster: /v1/status, /v1/nodes, /v1/topology, /v1/stats. Each is a record
 * that every transport renders its own way (REST as JSON, gRPC as messages).
 */
public final class ClusterViews {
  private final ClusterSettings cluster;
  private final RaftSettings raft;
  private final HttpSettings http;
  private final NodeState node;
  private final Replica replica;
  private final Access access;
  private final NodeStats stats;
  private final CheckStats checkStats;
  private final QueryCache cache;
  private volatile Topology topology;
  private volatile DigestAt digest;

  public ClusterViews(ClusterSettings cluster, RaftSettings raft, HttpSettings http, NodeState node, Replica replica,
                      Access access, NodeStats stats, CheckStats checkStats, QueryCache cache) {
    this.cluster = cluster;
    this.raft = raft;
    this.http = http;
    this.node = node;
    this.replica = replica;
    this.access = access;
    this.stats = stats;
    this.checkStats = checkStats;
    this.cache = cache;
  }

  /**
   * This node as it sees itself: who it is, whether it serves, its part in the Raft group and its standing, what its
   * replica holds, and where it listens.
   *
   * @param role               leader, follower or leaving (see {@link #role})
   * @param leaderSince        when the log's leader took over; null before any leader
   * @param leaderUptimeMillis how long the log's leader has led; null before any leader
   * @param votersWanted       cluster.raft.voters
   * @param nodes              the nodes the log has as alive
   */
  public record Status(String node, String memberId, String version, String cluster, boolean ready, long revision,
                       String role, String leader, long term, boolean isLeader, Long leaderSince,
                       Long leaderUptimeMillis, boolean quorate, boolean current, String notCurrentBecause,
                       RaftStatus raft, int votersWanted, Standing standing, int services, int names, long nodes,
                       String httpHost, int httpPort, long startedAt, long uptimeMillis) {
  }

  public Status status(Caller caller) {
    mayRead(caller, "status");
    Replica r = replica;
    long alive = r.nodes().values().stream().filter(NodeInfo::alive).count();
    long now = System.currentTimeMillis();
    boolean led = r.leaderSince() > 0;
    return new Status(node.nodeId(), node.memberId(), CairnVersion.VERSION, cluster.name(), node.ready(),
        r.revision(), role(), r.leader(), r.term(), node.isLeader(), led ? r.leaderSince() : null,
        led ? Math.max(0, now - r.leaderSince()) : null, node.quorate(), node.current(), node.notCurrentBecause(),
        node.raft(), raft.voters(), node.standing(), r.size(), r.nameCount(), alive, http.advertisedHost(),
        http.port(), node.startedAt(), now - node.startedAt());
  }

  /** A member as this node sees it: the log's record, its state (suspect included), its role, its instances. */
  public record NodeView(NodeInfo info, String status, String role, int services, String problem) {
    public boolean leader() {
      return role.equals("leader");
    }
  }

  /** Every node the log knows, by id, with the replica's revision, leader and term they were read at. */
  public record Nodes(long revision, String leader, long term, List<NodeView> nodes) {
  }

  public Nodes nodes(Caller caller) {
    mayRead(caller, "nodes");
    Replica r = replica;
    Map<String, Integer> perNode = new TreeMap<>();
    for (ServiceEntry e : r.entries()) {
      if (e.node() != null) {
        perNode.merge(e.node(), 1, Integer::sum);
      }
    }
    Set<String> live = node.liveMembers();
    Map<String, String> problems = node.peerProblems();
    List<NodeView> views = new ArrayList<>();
    for (NodeInfo n : new TreeMap<>(r.nodes()).values()) {
      boolean leads = n.id().equals(r.leader());
      String problem = n.id().equals(node.nodeId()) ? node.standing().problem() : problems.get(n.id());
      views.add(new NodeView(n, state(n, live), leads ? "leader" : n.alive() ? "follower" : "none",
          perNode.getOrDefault(n.id(), 0), problem));
    }
    return new Nodes(r.revision(), r.leader(), r.term(), List.copyOf(views));
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
  static String state(NodeInfo n, Set<String> liveMembers) {
    if (n.alive() && !liveMembers.contains(n.memberId())) {
      return "suspect";
    }
    return n.status().json();
  }

  /**
   * The registry counted by region, zone, health and node (instances without a region, zone or node count under
   * "none"; every health and every alive node appear, at 0 if need be).
   *
   * @param leaderSince null before any leader
   */
  public record Topology(long revision, String leader, long term, Long leaderSince, int total, int passing,
                         int disabled, int draining, int names, SortedMap<String, Integer> byRegion,
                         SortedMap<String, Integer> byZone, SortedMap<String, Integer> byStatus,
                         SortedMap<String, Integer> byNode) {
  }

  /** Recomputed only when the replica's revision moved. */
  public Topology topology(Caller caller) {
    mayRead(caller, "topology");
    Replica r = replica;
    long revision = r.revision();
    Topology cached = topology;
    if (cached != null && cached.revision() == revision) {
      return cached;
    }
    SortedMap<String, Integer> byRegion = new TreeMap<>();
    SortedMap<String, Integer> byZone = new TreeMap<>();
    SortedMap<String, Integer> byStatus = new TreeMap<>();
    SortedMap<String, Integer> byNode = new TreeMap<>();
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
    // Cached and handed to every caller of this revision: nobody may change it.
    Topology t = new Topology(revision, r.leader(), r.term(), r.leaderSince() > 0 ? r.leaderSince() : null, total,
        passing, disabled, draining, r.nameCount(), Collections.unmodifiableSortedMap(byRegion),
        Collections.unmodifiableSortedMap(byZone), Collections.unmodifiableSortedMap(byStatus),
        Collections.unmodifiableSortedMap(byNode));
    topology = t;
    return t;
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

  /** What this node did and holds, for operators and benchmarks (admin only). */
  public record Stats(long revision, String node, ReplicaFigures replica, LogFigures log, CacheFigures cache,
                      long eventsPublished, CheckStats.Figures checks, Persistence persistence, Jvm jvm) {
  }

  /** The replica: its digest (equal on every node at one revision), its size, what it applied and loaded. */
  public record ReplicaFigures(String digest, int services, int names, int nodes, long commandsApplied,
                               long snapshotsLoaded, long snapshotsWritten) {
  }

  /** What this node appended to the log, and in how many calls (the mean size of its group commits). */
  public record LogFigures(long commandsAppended, long appendCalls, double averageBatch) {
  }

  public record CacheFigures(int entries, long hits, long misses) {
  }

  /**
   * How far the Raft log is committed and applied here, and the newest snapshot on disk.
   *
   * @param snapshotAgeMillis null before the first snapshot
   */
  public record Persistence(long commitIndex, long appliedIndex, long lag, long snapshotRevision,
                            Long snapshotAgeMillis) {
  }

  public record Jvm(long heapUsedBytes, long heapMaxBytes) {
  }

  public Stats stats(Caller caller) {
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
    RaftStatus raft = node.raft();
    long snapshotAt = node.diskSnapshotAt();
    return new Stats(revision, node.nodeId(),
        new ReplicaFigures(d.digest, r.size(), r.nameCount(), r.nodes().size(), stats.commandsApplied(),
            stats.snapshotsLoaded(), stats.snapshotsWritten()),
        new LogFigures(appended, calls, calls == 0 ? 0.0 : Math.round(appended * 100.0 / calls) / 100.0),
        new CacheFigures(cache.size(), cache.hits(), cache.misses()),
        stats.eventsPublished(),
        checkStats.figures(),
        new Persistence(raft.commitIndex(), raft.appliedIndex(), Math.max(0, raft.commitIndex() - raft.appliedIndex()),
            node.diskSnapshotRevision(), snapshotAt == 0 ? null : System.currentTimeMillis() - snapshotAt),
        new Jvm(rt.totalMemory() - rt.freeMemory(), rt.maxMemory()));
  }

  private record DigestAt(long revision, String digest) {
  }
}
