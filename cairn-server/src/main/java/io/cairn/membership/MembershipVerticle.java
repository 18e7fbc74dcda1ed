package io.cairn.membership;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.cairn.model.Command;
import io.cairn.model.NodeInfo;
import io.cairn.node.Addresses;
import io.cairn.node.CairnVersion;
import io.cairn.node.CommandLog;
import io.cairn.node.NodeState;
import io.cairn.node.NodeStats;
import io.cairn.registry.Outcome;
import io.cairn.registry.Replica;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Who is in the cluster and who leads it.
 *
 * <p>Membership: the node makes sure the log knows it as alive under its current incarnation (its Vert.x node id):
 * it appends {@code nodeJoined} once caught up, and again whenever the replica says otherwise (after it merged back
 * from a split, or was wrongly declared failed). It appends {@code nodeLeft} when it stops gracefully. The leader
 * appends {@code nodeFailed} for every incarnation the log has as alive that is no longer live: no longer listed by
 * Hazelcast, or never admitted as a node of this cluster (replication's peer directory).
 *
 * <p>Leadership is Raft's (the replication verticle records each new leader's term in the log); this verticle acts
 * on it: only the node that {@link NodeState#actsAsLeader() acts as leader} reports failures.
 */
public class MembershipVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(MembershipVerticle.class);
  private static final long EVALUATE_EVERY_MILLIS = 250;

  private final CairnConfig cfg;
  private final NodeState.MembershipSide membership;
  private final NodeState node;
  private final Replica replica;
  private final NodeStats stats;
  private final CommandLog commandLog;
  private HazelcastInstance hz;
  private UUID listenerId;
  private NodeInfo self;
  private boolean announcing;
  private final Set<String> failuresPending = new HashSet<>();
  private boolean leaving;
  private boolean wasAlone;

  public MembershipVerticle(CairnConfig cfg, NodeState.MembershipSide membership, Replica replica, NodeStats stats,
                            CommandLog commandLog) {
    this.cfg = cfg;
    this.membership = membership;
    this.node = membership.state();
    this.replica = replica;
    this.stats = stats;
    this.commandLog = commandLog;
  }

  @Override
  public void start(Promise<Void> started) {
    hz = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    Member local = hz.getCluster().getLocalMember();
    String grpc = cfg.http().advertisedHost() + ":" + cfg.grpc().port();
    self = NodeInfo.announce(node.nodeId(), cfg.node().name(), node.memberId(), cfg.http().advertisedHost(),
        cfg.http().port(), grpc, local.getAddress().getHost() + ":" + local.getAddress().getPort(),
        cfg.node().region(), cfg.node().zone(), CairnVersion.VERSION, cfg.node().tags(), node.startedAt());
    listenerId = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        context.runOnContext(v -> evaluate());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        context.runOnContext(v -> evaluate());
      }
    });
    vertx.eventBus().<Object>localConsumer(Addresses.LEAVE, msg -> leave().onComplete(ar -> msg.reply(ar.succeeded())));
    reportIfAlone();
    vertx.setPeriodic(EVALUATE_EVERY_MILLIS, id -> evaluate());
    updateMembers();
    // A node without quorum (alone, in a cluster that needs more) still starts, and serves reads; it announces
    // itself once it can write.
    Future<?> first = node.ready() && node.quorate() ? announce() : Future.succeededFuture();
    first.<Void>mapEmpty().recover(err -> Future.succeededFuture()).onComplete(v -> {
      evaluate();
      started.complete();
    });
  }

  @Override
  public void stop() {
    if (listenerId != null) {
      try {
        hz.getCluster().removeMembershipListener(listenerId);
      } catch (RuntimeException ignored) {
        // Hazelcast may already be shutting down.
      }
    }
  }

  // ---------------------------------------------------------------- the periodic look

  private void evaluate() {
    updateMembers();
    if (leaving) {
      return;
    }
    reportIfMerged();
    if (!node.ready()) {
      return;
    }
    ensureAnnounced();
    if (node.actsAsLeader()) {
      reportFailures();
    }
  }

  /**
   * Live: listed by Hazelcast, and either admitted as a node of this cluster or known to the log as alive under that
   * incarnation at that member address (only a node in the Raft group could have written it there, so a node that
   * merges back is live before it is asked again). A stranger on the member port is neither, even one that names
   * itself after a node.
   */
  private void updateMembers() {
    Set<String> admitted = node.admittedMembers();
    Map<String, String> inLog = new HashMap<>();
    for (NodeInfo n : replica.nodes().values()) {
      if (n.alive()) {
        inLog.put(n.memberId(), n.clusterAddress());
      }
    }
    Set<String> live = new HashSet<>();
    live.add(node.memberId());
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(ClusterSetup.VERTX_NODE_ID);
      String address = m.getAddress().getHost() + ":" + m.getAddress().getPort();
      if (id != null && (admitted.contains(id) || address.equals(inLog.get(id)))) {
        live.add(id);
      }
    }
    membership.liveMembers(live);
  }

  // ---------------------------------------------------------------- membership

  /** The log must know this incarnation as alive; tell it again if it does not (merge, false failure). */
  private void ensureAnnounced() {
    NodeInfo known = replica.node(node.nodeId());
    if (known != null && known.alive() && known.memberId().equals(node.memberId())) {
      return;
    }
    if (!announcing && node.quorate()) {
      announce();
    }
  }

  private Future<Outcome> announce() {
    announcing = true;
    return append(Command.node(Command.Type.NODE_JOINED, node.nodeId(), 0, System.currentTimeMillis(), 0, self))
        .onComplete(ar -> announcing = false);
  }

  /** The leader records members that vanished without leaving: their incarnation is no longer in the cluster. */
  private void reportFailures() {
    Set<String> live = node.liveMembers();
    for (NodeInfo n : replica.nodes().values()) {
      if (n.alive() && !live.contains(n.memberId()) && failuresPending.add(n.memberId())) {
        log.warn("Node {} ({}) left the cluster without saying so; marking it failed", n.id(), n.clusterAddress());
        append(Command.node(Command.Type.NODE_FAILED, node.nodeId(), 0, System.currentTimeMillis(),
            replica.term(), n)).onComplete(ar -> failuresPending.remove(n.memberId()));
      }
    }
  }

  /** Started apart from every member of cluster.join: say so once; Hazelcast looks for them every mergeInterval. */
  private void reportIfAlone() {
    String own = self.clusterAddress();
    List<String> others = cfg.cluster().join().stream().filter(a -> !a.equals(own)).toList();
    if (hz.getCluster().getMembers().size() == 1 && !others.isEmpty()) {
      wasAlone = true;
      log.warn("No member of cluster.join {} answered: node {} runs alone and looks for them every {}s, merging into "
          + "their cluster when they appear", others, node.nodeId(), cfg.cluster().mergeIntervalMillis() / 1000);
    }
  }

  private void reportIfMerged() {
    if (wasAlone && hz.getCluster().getMembers().size() > 1) {
      wasAlone = false;
      log.info("Node {} found its cluster: {} members", node.nodeId(), hz.getCluster().getMembers().size());
    }
  }

  // ---------------------------------------------------------------- leaving

  /**
   * Graceful departure: stop taking writes, hand leadership over at once, let requests in flight finish (within
   * shutdown.gracePeriod), then record nodeLeft so that peers see a departure, not a failure.
   */
  private Future<Void> leave() {
    if (leaving) {
      return Future.succeededFuture();
    }
    leaving = true;
    membership.leaving();
    long deadline = System.currentTimeMillis() + cfg.shutdown().gracePeriodMillis();
    log.info("Node {} is leaving: no new writes, handing over leadership, finishing requests in flight",
        node.nodeId());
    return vertx.eventBus().request(Addresses.STEP_DOWN, null, new DeliveryOptions()
            .setLocalOnly(true).setSendTimeout(Math.max(1, deadline - System.currentTimeMillis())))
        .<Void>mapEmpty().recover(err -> Future.succeededFuture())
        .compose(v -> requestsFinished(deadline))
        .compose(v -> append(Command.node(Command.Type.NODE_LEFT, node.nodeId(), 0, System.currentTimeMillis(), 0,
            self)))
        .mapEmpty();
  }

  /** Completes when no HTTP request is under way on this node (this one excepted), or at the deadline. */
  private Future<Void> requestsFinished(long deadline) {
    Promise<Void> done = Promise.promise();
    vertx.setPeriodic(0, 20, id -> {
      if (stats.requestsInFlight() == 0 || System.currentTimeMillis() >= deadline) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future();
  }

  private Future<Outcome> append(Command command) {
    return commandLog.append(command);
  }
}
