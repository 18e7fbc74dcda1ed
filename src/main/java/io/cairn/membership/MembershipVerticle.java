package io.cairn.membership;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.cairn.Addresses;
import io.cairn.NodeContext;
import io.cairn.config.ClusterSetup;
import io.cairn.model.Command;
import io.cairn.model.ModelJson;
import io.cairn.model.NodeInfo;
import io.cairn.registry.Outcome;
import io.cairn.replication.Append;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Who is in the cluster and who leads it.
 *
 * <p>A node announces itself with a {@code nodeJoined} command once its replica caught up, and a
 * {@code nodeLeft} when it stops gracefully. The leader is the oldest Hazelcast member among the nodes the
 * replica knows as alive; when the replica's leader is gone, that member appends {@code leaderElected} with the
 * next term, and the log arbitrates: only the first such command for a term takes effect. The leader then
 * reports members that vanished without leaving as {@code nodeFailed}.
 */
public class MembershipVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(MembershipVerticle.class);

  private final NodeContext node;
  private HazelcastInstance hz;
  private UUID listenerId;
  private NodeInfo self;
  private boolean electionPending;
  private final Set<String> failuresPending = new HashSet<>();
  private boolean leaving;

  public MembershipVerticle(NodeContext node) {
    this.node = node;
  }

  @Override
  public void start(Promise<Void> started) {
    hz = ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
    Member local = hz.getCluster().getLocalMember();
    self = new NodeInfo(node.nodeId(), local.getUuid().toString(), node.config().advertisedHost(),
        node.config().httpPort(), local.getAddress().getHost() + ":" + local.getAddress().getPort(),
        CairnVersion.VERSION, NodeInfo.Status.ALIVE, 0, 0);
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
    hz.getMap(ClusterSetup.NODES).setAsync(self.id(), ModelJson.toJson(self).encode());
    append(Command.node(Command.Type.NODE_JOINED, node.nodeId(), 0, System.currentTimeMillis(), 0, self))
        .onSuccess(outcome -> {
          vertx.setPeriodic(1000, id -> evaluate());
          evaluate();
        })
        .<Void>mapEmpty()
        .onComplete(started);
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

  /** Appends nodeLeft for this node and waits until it is applied, so peers see a departure, not a failure. */
  private Future<Void> leave() {
    if (leaving) {
      return Future.succeededFuture();
    }
    leaving = true;
    hz.getMap(ClusterSetup.NODES).removeAsync(self.id());
    return append(Command.node(Command.Type.NODE_LEFT, node.nodeId(), 0, System.currentTimeMillis(), 0, self))
        .mapEmpty();
  }

  private void evaluate() {
    if (leaving || !node.ready()) {
      return;
    }
    Set<String> liveMembers = new LinkedHashSet<>();
    for (Member m : hz.getCluster().getMembers()) {
      liveMembers.add(m.getUuid().toString());
    }
    String leader = node.replica().leader();
    NodeInfo leaderInfo = leader == null ? null : node.replica().node(leader);
    boolean leaderAlive = leaderInfo != null && leaderInfo.alive() && liveMembers.contains(leaderInfo.memberId());
    if (!leaderAlive && !electionPending && self.memberId().equals(oldestCairnMember(liveMembers))) {
      electionPending = true;
      long term = node.replica().term() + 1;
      append(Command.leaderElected(node.nodeId(), 0, System.currentTimeMillis(), term))
          .onComplete(ar -> {
            electionPending = false;
            if (ar.succeeded() && ar.result().status().accepted()) {
              log.info("Node {} is the leader, term {}", node.nodeId(), term);
              evaluate();
            }
          });
    }
    if (node.isLeader()) {
      for (NodeInfo n : node.replica().nodes().values()) {
        if (n.alive() && !liveMembers.contains(n.memberId()) && failuresPending.add(n.memberId())) {
          log.warn("Node {} ({}) left the cluster without saying so; marking it failed", n.id(), n.clusterAddress());
          append(Command.node(Command.Type.NODE_FAILED, node.nodeId(), 0, System.currentTimeMillis(),
              node.replica().term(), n)).onComplete(ar -> {
                failuresPending.remove(n.memberId());
                if (ar.succeeded() && ar.result().status() == Outcome.Status.UPDATED) {
                  hz.getMap(ClusterSetup.NODES).removeAsync(n.id());
                }
              });
        }
      }
    }
  }

  /** The member UUID of the oldest member that the replica knows as a live Cairn node. */
  private String oldestCairnMember(Set<String> liveMembersOldestFirst) {
    Set<String> cairnMembers = new HashSet<>();
    for (NodeInfo n : node.replica().nodes().values()) {
      if (n.alive()) {
        cairnMembers.add(n.memberId());
      }
    }
    for (String member : liveMembersOldestFirst) {
      if (cairnMembers.contains(member)) {
        return member;
      }
    }
    return null;
  }

  private Future<Outcome> append(Command command) {
    return vertx.eventBus().<Append.Reply>request(Addresses.APPEND, new Append.Request(List.of(command)),
            Append.options(node.config()))
        .map(reply -> reply.body().outcomes().get(0));
  }
}
