package io.cairn.replication;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.cairn.node.NodeState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Who belongs to the Raft group, decided from the nodes admitted to the cluster: each answers, over the event bus,
 * with its Raft identity (peer id, Raft address, incarnation, whether its storage holds the group, how far it
 * applied; {@link PeerDirectory}). A Hazelcast member that is not admitted is never added.
 *
 * <p>Forming (Consul's bootstrap_expect): while no live node holds the group, the oldest Cairn member waits until
 * {@code cluster.raft.bootstrapExpect} nodes with empty storage see each other, then records in {@code cairn.state}
 * (put-if-absent, so one decision wins) the group: up to {@code cluster.raft.voters} of them, oldest first, by
 * incarnation. Each node listed creates the group with those voters once every one of them is admitted (any member
 * can write that map); Raft elects among them. Everyone else, and
 * every node that starts later with empty storage, creates the group as its only learner and waits for the leader
 * to add it.
 *
 * <p>Tending, on the leader: a live node outside the configuration that has created its joining group is added as a
 * learner (a Ratis listener); a learner that serves (ready, and a learner by its own view) and has caught up is
 * promoted while there are fewer
 * voters than {@code cluster.raft.voters}; a voter gone from Hazelcast for {@code cluster.raft.deadVoterTimeout} is
 * removed (then a learner takes its place), and so is a learner gone that long. One change at a time.
 */
final class RaftMembership {
  private static final Logger log = LoggerFactory.getLogger(RaftMembership.class);
  private static final String BOOTSTRAP = "raft.bootstrap";
  /** A learner this close to the leader's commit index counts as caught up. */
  private static final long CAUGHT_UP_GAP = 100;

  private final Vertx vertx;
  /** The replication verticle's context: every callback here runs on its loop. */
  private final Context context;
  private final CairnConfig cfg;
  private final NodeState.ReplicationSide side;
  private final NodeState node;
  private final PeerDirectory directory;
  private final IMap<String, Object> state;
  /** This node's Raft server as it is now (a restart replaces it). */
  private final Supplier<RaftServer> server;
  private final RaftGroupId groupId;
  private final ClientId clientId;
  private final Map<String, Long> absentSince = new HashMap<>();
  private boolean changing;
  private String untrustedDecisionTold;

  /**
   * A node's published Raft identity.
   *
   * @param servingLearner the node is a learner by its own view and ready (it serves its replica): only such a
   *                       learner is promoted, so that a new node is seen as a learner before it votes
   * @param problem        why the node says what it serves is not current (a failed log, lagging), or null
   */
  record Peer(String id, String address, String memberId, boolean hasGroup, long applied, boolean servingLearner,
              String problem) {
    JsonObject toJson() {
      return new JsonObject().put("id", id).put("address", address).put("memberId", memberId)
          .put("hasGroup", hasGroup).put("applied", applied).put("servingLearner", servingLearner)
          .put("problem", problem);
    }

    static Peer of(JsonObject j) {
      return new Peer(j.getString("id"), j.getString("address"), j.getString("memberId"),
          j.getBoolean("hasGroup", false), j.getLong("applied", 0L), j.getBoolean("servingLearner", false),
          j.getString("problem"));
    }

    RaftPeer raftPeer() {
      return RaftSetup.peer(id, address);
    }
  }

  RaftMembership(Vertx vertx, Context context, CairnConfig cfg, NodeState.ReplicationSide side, HazelcastInstance hz,
                 PeerDirectory directory, Supplier<RaftServer> server, RaftGroupId groupId, ClientId clientId) {
    this.vertx = vertx;
    this.context = context;
    this.cfg = cfg;
    this.side = side;
    this.node = side.state();
    this.directory = directory;
    this.state = hz.getMap(ClusterSetup.STATE);
    this.server = server;
    this.groupId = groupId;
    this.clientId = clientId;
  }

  /** What this node tells the others about itself from now on. */
  void publish(boolean hasGroup, long applied) {
    boolean servingLearner = node.ready() && node.raft().role().equals("learner");
    directory.self(new Peer(node.nodeId(), RaftSetup.address(cfg), node.memberId(), hasGroup, applied,
        servingLearner, node.standing().problem()));
    Map<String, String> problems = new HashMap<>();
    for (Peer p : directory.live().values()) {
      if (p.problem() != null && !p.id().equals(node.nodeId())) {
        problems.put(p.id(), p.problem());
      }
    }
    side.peerProblems(problems);
  }

  /**
   * For a node whose storage holds no group: the group to create here now, or null to wait. A node listed in the
   * bootstrap decision gets that group; any other gets the group with no peers (it waits to be added).
   */
  Future<RaftGroup> groupToJoin() {
    LinkedHashMap<String, Peer> live = directory.live();
    return Future.fromCompletionStage(state.getAsync(BOOTSTRAP), context).compose(decided -> {
      if (decided != null) {
        return Future.succeededFuture(fromDecision(decided, live));
      }
      if (live.values().stream().anyMatch(Peer::hasGroup)) {
        return Future.succeededFuture(joiningGroup());
      }
      List<Peer> fresh = live.values().stream().filter(p -> !p.hasGroup()).toList();
      boolean oldest = !live.isEmpty() && live.values().iterator().next().memberId().equals(node.memberId());
      if (!oldest || fresh.size() < cfg.raft().bootstrapExpect()) {
        return Future.succeededFuture(null);
      }
      JsonArray voters = new JsonArray();
      fresh.stream().limit(cfg.raft().voters()).forEach(p -> voters.add(p.toJson()));
      String decision = new JsonObject().put("voters", voters).encode();
      return vertx.executeBlocking(() -> state.putIfAbsent(BOOTSTRAP, decision), false).map(previous -> {
        if (previous == null) {
          log.info("Forming the Raft group with {} voters: {}", voters.size(),
              fresh.stream().limit(cfg.raft().voters()).map(Peer::id).toList());
        }
        return fromDecision(previous != null ? previous : decision, live);
      });
    });
  }

  /**
   * The group a decision gives this node: the decided one when it is listed, else the joining one. Any Hazelcast
   * member can write the decision, so a node forms the group from it only when it names at least as many voters as
   * a real one does, all of them identities this node admitted (under that incarnation, at that address; one that
   * died since still counts, as Raft lets a majority form), and no admitted node holds a group it does not name (a
   * running cluster is joined, never formed again). Otherwise the node waits, and says why once.
   */
  private RaftGroup fromDecision(Object decided, Map<String, Peer> live) {
    List<RaftPeer> voters = new ArrayList<>();
    Set<String> named = new HashSet<>();
    List<Peer> peers = new ArrayList<>();
    String untrusted = null;
    try {
      for (Object o : new JsonObject((String) decided).getJsonArray("voters")) {
        peers.add(Peer.of((JsonObject) o));
      }
    } catch (RuntimeException malformed) {
      untrusted = "it cannot be read (" + malformed + ")";
    }
    if (untrusted == null && peers.stream().noneMatch(p -> node.memberId().equals(p.memberId()))) {
      return joiningGroup(); // harmless whatever the decision: a joining node waits for a leader that admitted it
    }
    for (Peer p : peers) {
      voters.add(p.raftPeer());
      named.add(p.memberId());
      if (untrusted == null && !directory.admittedOnce(p)) {
        untrusted = "it names " + p.id() + " at " + p.address() + ", which this node never admitted";
      }
    }
    int expected = Math.min(cfg.raft().bootstrapExpect(), cfg.raft().voters());
    Peer outside = live.values().stream().filter(p -> p.hasGroup() && !named.contains(p.memberId())).findFirst()
        .orElse(null);
    if (untrusted == null && voters.size() < expected) {
      untrusted = "it names " + voters.size() + " voters, fewer than the " + expected + " a cluster forms with";
    } else if (untrusted == null && outside != null) {
      untrusted = "node " + outside.id() + " already holds the group and is not among its voters";
    }
    if (untrusted != null) {
      String said = String.valueOf(decided);
      if (!said.equals(untrustedDecisionTold)) {
        untrustedDecisionTold = said;
        log.warn("Node {} does not act on the decision in cairn.state that would form the Raft group: {}; it {}",
            node.nodeId(), untrusted, outside != null ? "joins the running group" : "waits for a trustworthy one or "
                + "for a running group to join");
      }
      return outside != null ? joiningGroup() : null;
    }
    return RaftGroup.valueOf(groupId, voters);
  }

  /**
   * The group a node that waits to be added starts with: itself as a learner (a Ratis listener) and no voter, so
   * that its server runs as a listener from the start. A server started outside its configuration instead stays
   * "starting" until the leader that added it sends it an append it marks as not initializing; Ratis 3.2.2 never
   * marks one for a listener it added, so such a learner, promoted, kept refusing votes and never stood for
   * election while that leader led: when it died, a group grown that way had no majority left to elect another.
   * The leader's log replaces this configuration with the real one; until then the node shows itself joining.
   */
  private RaftGroup joiningGroup() {
    return RaftGroup.valueOf(groupId, RaftPeer.newBuilder().setId(RaftSetup.peerId(node.nodeId()))
        .setAddress(RaftSetup.address(cfg)).setStartupRole(RaftPeerRole.LISTENER).build());
  }

  /** The leader's periodic look at the configuration; at most one change under way. */
  void tend(RaftServer.Division division) {
    if (changing) {
      return;
    }
    RaftConfiguration conf = division.getRaftConf();
    if (!conf.getPreviousPeers().isEmpty()) {
      return; // a change is being committed
    }
    decide(conf, directory.live(), division.getRaftLog().getLastCommittedIndex());
  }

  private void decide(RaftConfiguration conf, Map<String, Peer> live, long commit) {
    List<RaftPeer> voters = new ArrayList<>(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
    List<RaftPeer> learners = new ArrayList<>(conf.getCurrentPeers(RaftPeerRole.LISTENER));
    long now = System.currentTimeMillis();
    List<String> members = new ArrayList<>();
    voters.forEach(p -> members.add(p.getId().toString()));
    learners.forEach(p -> members.add(p.getId().toString()));
    absentSince.keySet().retainAll(members);
    for (String id : members) {
      if (live.containsKey(id)) {
        absentSince.remove(id);
      } else {
        absentSince.putIfAbsent(id, now);
      }
    }
    long timeout = cfg.raft().deadVoterTimeoutMillis();
    String self = node.nodeId();
    for (RaftPeer v : voters) {
      String id = v.getId().toString();
      Long gone = absentSince.get(id);
      if (!id.equals(self) && gone != null && now - gone >= timeout) {
        List<RaftPeer> remaining = new ArrayList<>(voters);
        remaining.remove(v);
        long liveRemaining = remaining.stream().filter(p -> live.containsKey(p.getId().toString())).count();
        if (liveRemaining > remaining.size() / 2) {
          change("voter " + id + " gone for " + (now - gone) / 1000 + "s: removed", remaining, learners);
          return;
        }
      }
    }
    for (Peer p : live.values()) {
      // Only once the node has created its (joining) group: the leader's first append or snapshot to a node that has
      // none races with its own creation of the group, and Ratis then refuses the group on that node for good.
      if (!members.contains(p.id()) && p.hasGroup()) {
        List<RaftPeer> more = new ArrayList<>(learners);
        more.add(p.raftPeer());
        change("node " + p.id() + " joins as a learner", voters, more);
        return;
      }
    }
    if (voters.size() < cfg.raft().voters()) {
      for (RaftPeer l : learners) {
        Peer p = live.get(l.getId().toString());
        if (p != null && p.servingLearner() && p.applied() >= commit - CAUGHT_UP_GAP) {
          List<RaftPeer> moreVoters = new ArrayList<>(voters);
          moreVoters.add(l);
          List<RaftPeer> fewer = new ArrayList<>(learners);
          fewer.remove(l);
          change("learner " + p.id() + " caught up: promoted to voter", moreVoters, fewer);
          return;
        }
      }
    }
    for (RaftPeer l : learners) {
      Long gone = absentSince.get(l.getId().toString());
      if (gone != null && now - gone >= timeout) {
        List<RaftPeer> fewer = new ArrayList<>(learners);
        fewer.remove(l);
        change("learner " + l.getId() + " gone for " + (now - gone) / 1000 + "s: removed", voters, fewer);
        return;
      }
    }
  }

  private void change(String why, List<RaftPeer> voters, List<RaftPeer> learners) {
    changing = true;
    log.info("Raft group: {} (voters {}, learners {})", why, ids(voters), ids(learners));
    SetConfigurationRequest request = new SetConfigurationRequest(clientId, RaftPeerId.valueOf(node.nodeId()), groupId,
        CallId.getAndIncrement(), voters, learners);
    Future.fromCompletionStage(RaftCalls.call(() -> server.get().setConfigurationAsync(request)), context).onComplete(ar -> {
      changing = false;
      if (ar.failed() || !ar.result().isSuccess()) {
        log.warn("Raft group change not made ({}): {}", why,
            ar.failed() ? ar.cause().toString() : String.valueOf(ar.result().getException()));
      }
    });
  }

  private static List<String> ids(List<RaftPeer> peers) {
    return peers.stream().map(p -> p.getId().toString()).toList();
  }
}
