package io.cairn.api;

import io.cairn.model.Health;
import io.cairn.model.NodeInfo;
import io.cairn.model.ServiceEntry;
import io.cairn.model.ServiceQuery;
import io.cairn.registry.Replica;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The catalog as one caller may see it: service names and their tags, a name's instances, the instances registered
 * through a node, the nodes and the voters, read from the local replica. What the caller may read is decided here,
 * once, for every read: a read of one name or of the cluster's nodes is refused (403, audited) to a caller without
 * the right; a listing across names leaves out what the caller may not read, without a refusal. Answers are model
 * objects; each transport shapes them (Consul's API does).
 */
public final class CatalogQueries {
  private final Replica replica;
  private final Access access;
  private final Function<String, List<ServiceEntry>> instancesOf;

  /**
   * @param instancesOf every instance of a name, whatever its state and whoever asks (sorted by id): the rights are
   *                    checked here, not by it
   */
  public CatalogQueries(Replica replica, Access access, Function<String, List<ServiceEntry>> instancesOf) {
    this.replica = replica;
    this.access = access;
    this.instancesOf = instancesOf;
  }

  /**
   * Reads a name's instances through the node's discovery cache, under {@code api}'s own keys (see
   * {@link RegistryOperations#instancesOf}); asked as the node, since the caller's rights are checked here.
   */
  public static CatalogQueries cached(Replica replica, RegistryOperations ops, String api) {
    return new CatalogQueries(replica, ops.access(), name -> ops.instancesOf(Caller.NODE, api, name));
  }

  // ---------------------------------------------------------------- indexes (open to every caller)

  /** The registry's revision: what a read across services reflects. */
  public long revision() {
    return replica.revision();
  }

  /**
   * What a read of one name reflects: the name's last change, or (for a name with no instance) the last time a name
   * went away; and at least the last change to the nodes, since an instance's liveness follows its node's.
   */
  public long nameIndex(String name) {
    long r = replica.revisionFor(ServiceQuery.byName(name));
    return Math.max(r >= 0 ? r : -r - 1, replica.nodesRevision());
  }

  /** Whether the registry log names a leader. */
  public boolean leaderKnown() {
    return replica.leader() != null;
  }

  // ---------------------------------------------------------------- services

  /**
   * Every service name the caller may read, with the tags of its instances, both sorted. A name with no instance
   * left is gone from the replica: every name listed has one.
   */
  public SortedMap<String, SortedSet<String>> serviceTags(Caller caller) {
    SortedMap<String, SortedSet<String>> services = new TreeMap<>();
    for (String name : new TreeSet<>(replica.names())) {
      if (!access.allowed(caller, Access.service(name), Action.READ)) {
        continue;
      }
      SortedSet<String> tags = new TreeSet<>();
      for (ServiceEntry e : instances(caller, name, List.of(), false)) {
        tags.addAll(e.tags());
      }
      services.put(name, tags);
    }
    return services;
  }

  /**
   * The instances of {@code name} with every tag of {@code tags} (compared without regard to case), and with
   * {@code passingOnly} only those that {@link #passing pass}, for a caller that may read the name (403 otherwise).
   */
  public List<ServiceEntry> instances(Caller caller, String name, List<String> tags, boolean passingOnly) {
    List<ServiceEntry> all = instancesOf.apply(name);
    if (!access.readsEverything(caller)) {
      access.require(caller, Access.service(name), Action.READ, "discover");
    }
    if (tags.isEmpty() && !passingOnly) {
      return all;
    }
    return all.stream().filter(e -> tags.stream().allMatch(e::hasTagIgnoringCase))
        .filter(e -> !passingOnly || passing(e)).toList();
  }

  /** Every instance the caller may read, in the replica's order. */
  public List<ServiceEntry> instances(Caller caller) {
    List<ServiceEntry> readable = new ArrayList<>();
    for (ServiceEntry e : replica.entries()) {
      if (access.allowed(caller, Access.service(e.name()), Action.READ)) {
        readable.add(e);
      }
    }
    return readable;
  }

  /** The instances registered through node {@code nodeId} that the caller may read, in the replica's order. */
  public List<ServiceEntry> registeredThrough(Caller caller, String nodeId) {
    List<ServiceEntry> readable = new ArrayList<>();
    for (ServiceEntry e : replica.entries()) {
      if (nodeId.equals(e.node()) && access.allowed(caller, Access.service(e.name()), Action.READ)) {
        readable.add(e);
      }
    }
    return readable;
  }

  /**
   * Whether the instance should get requests: healthy, enabled, not draining, on a node that is alive (Consul's
   * {@code passing}: every one of its checks passes).
   */
  public boolean passing(ServiceEntry e) {
    return e.health() == Health.HEALTHY && e.enabled() && !e.draining() && nodeAlive(e.node());
  }

  // ---------------------------------------------------------------- nodes

  /**
   * The node the log knows by this id, or null. Open to every caller: it is where an instance the caller reads runs,
   * the node it asks, or the leader, which Consul's clients may always ask for.
   */
  public NodeInfo node(String id) {
    return replica.node(id);
  }

  /** Whether the node is alive; an instance registered through a node the log no longer lists is judged alone. */
  public boolean nodeAlive(String nodeId) {
    NodeInfo n = nodeId == null ? null : replica.node(nodeId);
    return n == null || n.status() == NodeInfo.Status.ALIVE;
  }

  /** Every node the log knows, sorted by id, for a caller that may read the cluster (403 otherwise). */
  public List<NodeInfo> nodes(Caller caller) {
    access.require(caller, Access.CLUSTER, Action.READ, "nodes");
    return new ArrayList<>(new TreeMap<>(replica.nodes()).values());
  }

  /**
   * The ids of every node the log knows, for a caller that may read the cluster; none for another, without a
   * refusal (a listing across nodes and services leaves out what the caller may not read).
   */
  public List<String> nodeIdsVisibleTo(Caller caller) {
    if (!access.allowed(caller, Access.CLUSTER, Action.READ)) {
      return List.of();
    }
    return new ArrayList<>(replica.nodes().keySet());
  }

  /**
   * The nodes among {@code voters} (the Raft group's, by id) that the log knows, in that order, for a caller that
   * may read the cluster (403 otherwise).
   */
  public List<NodeInfo> peers(Caller caller, Collection<String> voters) {
    access.require(caller, Access.CLUSTER, Action.READ, "peers");
    List<NodeInfo> peers = new ArrayList<>();
    for (String voter : voters) {
      NodeInfo n = replica.node(voter);
      if (n != null) {
        peers.add(n);
      }
    }
    return peers;
  }
}
