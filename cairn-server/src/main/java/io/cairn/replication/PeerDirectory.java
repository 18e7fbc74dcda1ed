package io.cairn.replication;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.cairn.node.Addresses;
import io.cairn.node.NodeState;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Which members of the Hazelcast cluster are admitted as Cairn nodes, and their Raft identities. Hazelcast lets any
 * process that reaches the member port join and write every map, so a member counts only once it has answered, on
 * its own event-bus address ({@link Addresses#PEER} + its member id), with its identity. With
 * {@code security.cluster.*} the event bus is mutual TLS with the cluster's CA: a member without such a
 * certificate can neither be asked nor answer, and is never admitted. It is then not added to the Raft group, not
 * listed, not counted, and owns no checks. Without cluster TLS every Cairn process that reaches the port is
 * admitted, which the node says once at start.
 *
 * <p>Every node asks every member every {@value #ASK_EVERY_MILLIS} ms (one whose answer times out, ever less often):
 * the answers are also how a leader learns how far each node applied, and whether a learner serves.
 * Runs on the replication verticle's loop.
 */
final class PeerDirectory {
  private static final Logger log = LoggerFactory.getLogger(PeerDirectory.class);
  static final long ASK_EVERY_MILLIS = 500;
  private static final long ASK_TIMEOUT_MILLIS = 3000;
  /** A member whose answer times out or whose connection fails is asked ever less often, up to this. */
  private static final long RETRY_AT_MOST_MILLIS = 4_000;
  /** How long a member with a Cairn node's address may go unanswered before the node says it is not admitted. */
  private static final long UNADMITTED_WARNING_MILLIS = 10_000;

  private final Vertx vertx;
  private final CairnConfig cfg;
  private final NodeState.ReplicationSide side;
  private final NodeState node;
  private final HazelcastInstance hz;
  private final DeliveryOptions ask = new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MILLIS);
  private MessageConsumer<Object> consumer;
  private RaftMembership.Peer self;
  /**
   * The admitted members' latest answers, by Hazelcast member UUID: Hazelcast gives each member its own, while the
   * Vert.x node id the answer is asked under is an attribute a member sets for itself.
   */
  private final Map<UUID, RaftMembership.Peer> admitted = new HashMap<>();
  /** Every identity admitted since this node started, by Vert.x node id, gone members too (a few per restart). */
  private final Map<String, RaftMembership.Peer> known = new HashMap<>();
  /** Members that have not answered yet, by member UUID. */
  private final Map<UUID, Unanswered> unanswered = new HashMap<>();
  private final Set<UUID> asking = new HashSet<>();
  /** Vert.x node ids that more than one member claims, said once each. */
  private final Set<String> claimedTwiceTold = new HashSet<>();

  /** A member that did not answer: since when, and when to ask next. */
  private static final class Unanswered {
    final long since;
    long nextAskAt;
    long backoff = ASK_EVERY_MILLIS;
    boolean told;

    Unanswered(long since) {
      this.since = since;
    }
  }

  PeerDirectory(Vertx vertx, CairnConfig cfg, NodeState.ReplicationSide side, HazelcastInstance hz) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.side = side;
    this.node = side.state();
    this.hz = hz;
  }

  /** Says once what admits a member to this cluster. */
  void start() {
    if (!cfg.security().clusterTlsEnabled()) {
      String what = "the cluster port {}:{} admits any process that reaches it as a node of cluster '{}' (it may "
          + "join the Raft group and write the registry); set security.cluster.* for mutual TLS between nodes";
      if (CairnConfig.isLoopback(cfg.cluster().host())) {
        log.info(what, cfg.cluster().host(), cfg.cluster().port(), cfg.cluster().name());
      } else {
        log.warn(what, cfg.cluster().host(), cfg.cluster().port(), cfg.cluster().name());
      }
    }
  }

  void stop() {
    if (consumer != null) {
      consumer.unregister();
    }
  }

  /**
   * What this node answers from now on. It answers only once it has an identity: until then askers find no handler
   * and ask again soon, as they do a node still starting.
   */
  void self(RaftMembership.Peer peer) {
    self = peer;
    if (consumer == null) {
      consumer = vertx.eventBus().consumer(Addresses.PEER + node.memberId(), msg -> msg.reply(self.toJson()));
    }
  }

  /**
   * The admitted nodes Hazelcast lists now, this one included once it has a Raft identity, oldest member first, by
   * node id.
   */
  LinkedHashMap<String, RaftMembership.Peer> live() {
    LinkedHashMap<String, RaftMembership.Peer> live = new LinkedHashMap<>();
    UUID local = hz.getCluster().getLocalMember().getUuid();
    for (Member m : hz.getCluster().getMembers()) {
      RaftMembership.Peer p = m.getUuid().equals(local) ? self : admitted.get(m.getUuid());
      if (p != null) {
        live.put(p.id(), p);
      }
    }
    return live;
  }

  /**
   * Whether this node has admitted that identity (same incarnation, node id and Raft address) since it started,
   * whether or not Hazelcast still lists it; this node's own included.
   */
  boolean admittedOnce(RaftMembership.Peer p) {
    RaftMembership.Peer seen = node.memberId().equals(p.memberId()) ? self : known.get(p.memberId());
    return seen != null && seen.id().equals(p.id()) && seen.address().equals(p.address());
  }

  /** Asks the members due for it, forgets those Hazelcast no longer lists, and tells the node who is admitted. */
  void refresh() {
    long now = System.currentTimeMillis();
    Map<UUID, Member> members = others();
    admitted.keySet().retainAll(members.keySet());
    unanswered.keySet().retainAll(members.keySet());
    for (Member m : members.values()) {
      Unanswered u = unanswered.get(m.getUuid());
      if (!asking.contains(m.getUuid()) && (u == null || now >= u.nextAskAt)) {
        ask(m);
      }
    }
    publishAdmitted();
  }

  /**
   * The other members that name a Vert.x node id, by member UUID. Two members claiming one id are both left out
   * (an answer under that id could come from either), which the node says once; the log still knows the honest one
   * by its address (see MembershipVerticle).
   */
  private Map<UUID, Member> others() {
    Map<String, Member> byNodeId = new HashMap<>();
    Set<String> claimedTwice = new HashSet<>();
    UUID local = hz.getCluster().getLocalMember().getUuid();
    for (Member m : hz.getCluster().getMembers()) {
      String nodeId = m.getAttribute(ClusterSetup.VERTX_NODE_ID);
      if (nodeId != null && !m.getUuid().equals(local) && byNodeId.put(nodeId, m) != null) {
        claimedTwice.add(nodeId);
      }
    }
    Map<UUID, Member> members = new HashMap<>();
    for (Map.Entry<String, Member> e : byNodeId.entrySet()) {
      if (!claimedTwice.contains(e.getKey()) && !e.getKey().equals(node.memberId())) {
        members.put(e.getValue().getUuid(), e.getValue());
      } else if (claimedTwiceTold.add(e.getKey())) {
        log.warn("More than one member of cluster '{}' names itself Vert.x node {}: none of them is admitted",
            cfg.cluster().name(), e.getKey());
      }
    }
    return members;
  }

  private void ask(Member member) {
    UUID uuid = member.getUuid();
    String memberId = member.getAttribute(ClusterSetup.VERTX_NODE_ID);
    asking.add(uuid);
    vertx.eventBus().<JsonObject>request(Addresses.PEER + memberId, null, ask).onComplete(ar -> {
      asking.remove(uuid);
      RaftMembership.Peer answer = ar.succeeded() ? peer(ar.result().body()) : null;
      if (answer != null && memberId.equals(answer.memberId())) {
        unanswered.remove(uuid);
        known.put(memberId, answer);
        if (admitted.put(uuid, answer) == null) {
          log.info("Node {} (member {} at {}) admitted to cluster '{}'", answer.id(), memberId, member.getAddress(),
              cfg.cluster().name());
        }
      } else if (!admitted.containsKey(uuid)) {
        // An admitted member that misses an answer keeps its last one until Hazelcast no longer lists it.
        notAnswered(uuid, memberId, member, ar.failed() ? ar.cause() : null);
      }
      publishAdmitted();
    });
  }

  private void notAnswered(UUID uuid, String memberId, Member member, Throwable cause) {
    long now = System.currentTimeMillis();
    Unanswered u = unanswered.computeIfAbsent(uuid, id -> new Unanswered(now));
    // No handler at all (nothing is sent): a Cairn node still starting or merging back, asked again soon, or a Vert.x
    // application on the event bus; neither is news.
    boolean noHandler = cause instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS;
    if (!noHandler) {
      u.backoff = Math.min(RETRY_AT_MOST_MILLIS, u.backoff * 2);
      u.nextAskAt = now + u.backoff;
    }
    if (!u.told && !noHandler && now - u.since >= UNADMITTED_WARNING_MILLIS) {
      u.told = true;
      log.warn("Member {} at {} of cluster '{}' did not answer as a Cairn node for {} s ({}): not admitted (not in "
              + "the Raft group, not listed, owns no checks).{}", memberId, member.getAddress(),
          cfg.cluster().name(), (now - u.since) / 1000, cause == null ? "no identity" : cause.getMessage(),
          cfg.security().clusterTlsEnabled()
              ? " The event bus refuses members without a certificate from security.cluster.caFile." : "");
    }
  }

  private static RaftMembership.Peer peer(Object body) {
    try {
      RaftMembership.Peer p = body instanceof JsonObject json ? RaftMembership.Peer.of(json) : null;
      return p == null || p.id() == null || p.address() == null ? null : p;
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  /** The Vert.x node ids of the admitted members Hazelcast lists now, and this node's. */
  private void publishAdmitted() {
    Set<String> ids = new HashSet<>();
    ids.add(node.memberId());
    for (Member m : hz.getCluster().getMembers()) {
      if (admitted.containsKey(m.getUuid())) {
        ids.add(m.getAttribute(ClusterSetup.VERTX_NODE_ID));
      }
    }
    side.admittedMembers(ids);
  }
}
