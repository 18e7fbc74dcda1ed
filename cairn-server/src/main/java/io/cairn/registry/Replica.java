package io.cairn.registry;

import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.Route;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One node's copy of the registry, built only by {@link Apply} from the replicated log.
 *
 * <p>One thread writes (the one applying the log); any thread reads. Entries are immutable and the maps are
 * concurrent, so a reader sees each entry whole; a query racing an apply may see some of that apply's changes and
 * not others, and it is stamped with the revision read before it ran, so what it shows is at least that revision.
 *
 * <p>{@link ReplicaIndexes} by name, tag, node and health let a query touch only the smallest candidate set, so a
 * discovery costs in proportion to its result, not to the size of the registry.
 */
public final class Replica {
  private final Map<String, ServiceEntry> byId = new ConcurrentHashMap<>();
  private final ReplicaIndexes indexes = new ReplicaIndexes();
  /**
   * Per service name with instances, the revision of the last change to any of them: what keeps a cached answer
   * valid. A name whose last instance goes is dropped, so the map does not grow with names that come and go.
   */
  private final Map<String, Long> nameRevisions = new ConcurrentHashMap<>();
  /** Revision at which a name was last dropped; answers for absent names are valid only until the next drop. */
  private volatile long lastNameDrop;
  private volatile long nodesRevision;
  /** True while reset() refills the maps: names then read as absent until the reset stamps them all at once. */
  private boolean resetting;
  private final Map<String, NodeInfo> nodes = new ConcurrentHashMap<>();
  /** The routes written through the log, by id; replaced whole on each change, so a reader holds one table. */
  private volatile Map<String, Route> routes = Map.of();
  /** Per node, the highest number of its commands applied (see firstApplication); read by proposers, so concurrent. */
  private final Map<String, Long> lastRequests = new ConcurrentHashMap<>();

  private volatile long revision;
  /** Applying a log entry of several commands (see beginEntry): written by the applying thread only. */
  private boolean inEntry;
  private long entryRevision;
  private final Set<String> namesInEntry = new HashSet<>();
  private volatile long term;
  private volatile String leader;
  /** When the current leader was elected (the time on its leaderElected command); 0 without a leader. */
  private volatile long leaderSince;

  // ---- reads, from any thread ----

  public long revision() {
    return revision;
  }

  public long term() {
    return term;
  }

  public long leaderSince() {
    return leaderSince;
  }

  public String leader() {
    return leader;
  }

  public ServiceEntry get(String id) {
    return byId.get(id);
  }

  public int size() {
    return byId.size();
  }

  public int nameCount() {
    return indexes.byName.size();
  }

  /** The service names with at least one instance. */
  public Set<String> names() {
    return Collections.unmodifiableSet(indexes.byName.keys());
  }

  public Collection<ServiceEntry> entries() {
    return Collections.unmodifiableCollection(byId.values());
  }

  public Map<String, NodeInfo> nodes() {
    return Collections.unmodifiableMap(nodes);
  }

  public NodeInfo node(String id) {
    return nodes.get(id);
  }

  /** The routes written through the log, by id, as of one revision (an immutable map). */
  public Map<String, Route> routes() {
    return routes;
  }

  /** Ids of instances that heartbeat, for the leader's expiry scan. */
  public Set<String> ttlIds() {
    return Collections.unmodifiableSet(indexes.ttlIds);
  }

  /** Ids of instances whose check Cairn runs (http, tcp, grpc, plugin types), for the health-check verticle. */
  public Set<String> probeIds() {
    return Collections.unmodifiableSet(indexes.probeIds);
  }

  /**
   * The revision after which this query's result can have changed: the name's last change when the query names a
   * service, otherwise the replica's revision. A cached answer stays valid while this stays the same.
   */
  public long revisionFor(ServiceQuery query) {
    if (query.name() != null) {
      Long r = nameRevisions.get(query.name());
      // Negative for an absent name, and different after every drop: an answer cached while the name was absent
      // cannot be mistaken for valid after the name came back and went again.
      return r != null ? r : -lastNameDrop - 1;
    }
    return revision;
  }

  /** The instances matching the query, sorted by id. */
  public List<ServiceEntry> query(ServiceQuery q) {
    Set<String> candidates = indexes.candidates(q);
    List<ServiceEntry> result = new ArrayList<>(candidates == null ? byId.size() : Math.min(candidates.size(), 1024));
    if (candidates == null) {
      for (ServiceEntry e : byId.values()) {
        if (q.matches(e)) {
          result.add(e);
        }
      }
    } else {
      for (String id : candidates) {
        ServiceEntry e = byId.get(id);
        if (e != null && q.matches(e)) {
          result.add(e);
        }
      }
    }
    result.sort(Comparator.comparing(ServiceEntry::id));
    return result;
  }

  /** How many instances a query examines: the size of its candidate set. */
  int examinedBy(ServiceQuery q) {
    Set<String> candidates = indexes.candidates(q);
    return candidates == null ? byId.size() : candidates.size();
  }

  /**
   * A digest of the whole state: equal digests on two nodes mean equal registries. Order-independent of how the
   * maps were filled: entries are taken sorted by id, metadata is already sorted.
   */
  public String digest() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(("revision=" + revision + ";term=" + term + ";leader=" + leader + ";since=" + leaderSince + ";")
          .getBytes(StandardCharsets.UTF_8));
      for (ServiceEntry e : new TreeMap<>(byId).values()) {
        sha.update(e.toString().getBytes(StandardCharsets.UTF_8));
      }
      for (NodeInfo n : new TreeMap<>(nodes).values()) {
        sha.update(n.toString().getBytes(StandardCharsets.UTF_8));
      }
      for (Route r : new TreeMap<>(routes).values()) {
        sha.update(r.toString().getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  /** Ids of the instances in one health state. */
  public Set<String> idsWithHealth(Health health) {
    return Collections.unmodifiableSet(indexes.byHealth.get(health));
  }

  /** The state as a snapshot; call it from the applying thread so that it is one revision's state. */
  public Snapshot snapshot() {
    return new Snapshot(revision, term, leader, leaderSince, List.copyOf(byId.values()), List.copyOf(nodes.values()),
        List.copyOf(routes.values()), Map.copyOf(lastRequests));
  }

  /** Replaces the whole state with a snapshot's; from the applying thread. */
  public void load(Snapshot s) {
    reset(s.revision(), s.term(), s.leader(), s.leaderSince(), s.services(), s.nodes());
    Map<String, Route> loaded = new TreeMap<>();
    for (Route r : s.routes()) {
      loaded.put(r.id(), r);
    }
    routes = Collections.unmodifiableMap(loaded);
    lastRequests.clear();
    lastRequests.putAll(s.lastRequests());
  }

  /**
   * True the first time the log applies command {@code requestId} of node {@code origin}, which it records; false
   * for a number at or below the highest applied of that node. A node numbers its commands upwards and proposes one
   * entry at a time, so a number not above the highest is a repeat: Ratis appends an entry again when a new leader
   * that has it uncommitted receives it once more from the node that proposed it (resent to the new leader, under
   * the same call id, which Ratis' retry cache knows only once applied). From the applying thread.
   */
  public boolean firstApplication(String origin, long requestId) {
    Long last = lastRequests.get(origin);
    if (last != null && requestId <= last) {
      return false;
    }
    lastRequests.put(origin, requestId);
    return true;
  }

  /** The highest number of node {@code origin}'s commands applied so far (0: none). */
  public long lastRequest(String origin) {
    return lastRequests.getOrDefault(origin, 0L);
  }

  /** Ids of the instances registered through a node, in id order (so that every node treats them alike). */
  public List<String> idsRegisteredThrough(String nodeId) {
    List<String> ids = new ArrayList<>(indexes.byNode.get(nodeId));
    Collections.sort(ids);
    return ids;
  }

  // ---- writes, from the applying thread only (package-private: Apply and Snapshots) ----

  void put(ServiceEntry entry) {
    ServiceEntry previous = byId.put(entry.id(), entry);
    if (previous != null) {
      indexes.remove(previous);
    }
    indexes.add(entry);
    touchName(entry.name(), entry.revision());
    if (previous != null && !previous.name().equals(entry.name())) {
      nameChanged(previous.name(), entry.revision());
    }
  }

  ServiceEntry remove(String id, long atRevision) {
    ServiceEntry previous = byId.remove(id);
    if (previous != null) {
      indexes.remove(previous);
      nameChanged(previous.name(), atRevision);
    }
    return previous;
  }

  private void touchName(String name, long atRevision) {
    if (inEntry) {
      namesInEntry.add(name);
    } else if (!resetting) {
      nameRevisions.put(name, atRevision);
    }
  }

  /** An instance of {@code name} went away: bump the name, or drop it if that was its last instance. */
  private void nameChanged(String name, long atRevision) {
    if (inEntry) {
      namesInEntry.add(name);
    } else if (indexes.byName.get(name).isEmpty()) {
      lastNameDrop = atRevision;
      nameRevisions.remove(name);
    } else {
      touchName(name, atRevision);
    }
  }

  /**
   * Several commands are about to be applied at one revision (one log entry). Until {@link #endEntry}, readers keep
   * seeing the previous revision, and the names the commands touch keep their previous stamps: an answer read or
   * cached meanwhile is stamped older than the entry, so it is never taken for the entry's complete result (a
   * blocking query wakes, a cached answer is dropped, once the entry is whole).
   */
  public void beginEntry() {
    inEntry = true;
    entryRevision = revision;
  }

  /** The entry's commands are all applied: its revision and its names' stamps become visible together. */
  public void endEntry() {
    inEntry = false;
    for (String name : namesInEntry) {
      if (indexes.byName.get(name).isEmpty()) {
        lastNameDrop = entryRevision;
        nameRevisions.remove(name);
      } else {
        nameRevisions.put(name, entryRevision);
      }
    }
    namesInEntry.clear();
    revision = entryRevision;
  }

  /** Sets or (with a null route) removes route {@code id}; readers see the old table or the new one, whole. */
  void putRoute(String id, Route route) {
    Map<String, Route> next = new TreeMap<>(routes);
    if (route == null) {
      next.remove(id);
    } else {
      next.put(id, route);
    }
    routes = Collections.unmodifiableMap(next);
  }

  /** A node joined, left or failed, at {@code atRevision}. */
  void putNode(NodeInfo node, long atRevision) {
    nodes.put(node.id(), node);
    nodesRevision = atRevision;
  }

  /**
   * The revision of the last change to the nodes (one joined, left or failed): what answers that show a node's
   * liveness next to its instances (Consul's serfHealth check) depend on besides the instances.
   */
  public long nodesRevision() {
    return nodesRevision;
  }

  void setRevision(long newRevision) {
    if (inEntry) {
      entryRevision = newRevision;
    } else {
      this.revision = newRevision;
    }
  }

  /** Marks a revision applied without a change: for a log item this node cannot read. */
  public void skipTo(long newRevision) {
    setRevision(newRevision);
  }

  void setLeader(String leader, long term, long since) {
    this.leader = leader;
    this.term = term;
    this.leaderSince = leader == null ? 0 : since;
  }

  /** Replaces the whole state, e.g. with a snapshot. */
  void reset(long newRevision, long newTerm, String newLeader, long newLeaderSince, Collection<ServiceEntry> entries,
             Collection<NodeInfo> newNodes) {
    byId.clear();
    indexes.clear();
    nameRevisions.clear();
    lastNameDrop = newRevision;
    nodes.clear();
    resetting = true;
    try {
      for (ServiceEntry e : entries) {
        put(e);
      }
    } finally {
      resetting = false;
    }
    for (NodeInfo n : newNodes) {
      putNode(n, newRevision);
    }
    this.term = newTerm;
    this.leader = newLeader;
    this.leaderSince = newLeaderSince;
    this.revision = newRevision;
    // Every name present gets the reset's revision: no answer cached before or during the refill matches it
    // (those carry older revisions, or the absent-name stamp of this reset).
    for (String name : indexes.byName.keys()) {
      nameRevisions.put(name, newRevision);
    }
  }
}
