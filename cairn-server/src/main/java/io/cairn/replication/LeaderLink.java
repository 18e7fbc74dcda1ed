package io.cairn.replication;

import io.cairn.config.CairnConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.JavaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Carries this node's proposals to whichever node leads the Raft group, and moves a proposal under way to a new
 * leader the moment this node's own Raft server learns of one.
 *
 * <p>Why not Ratis' {@code RaftClient}: a client that sent an entry to a leader that then stalls (a GC pause, a
 * frozen VM) or is cut off waits out its request timeout (3 s), and then, before it retries elsewhere, closes its
 * channel to the old leader and waits up to 3 s more for that to finish: a paused leader cost the majority six
 * seconds of writes while a new leader was elected in little more than one (issue 21). Here an entry goes to the
 * leader this node's server knows (straight to the server when it is this node), and is sent again to the next one
 * as soon as it is known, without waiting on the old one; a channel to a peer that failed is reset on a worker.
 *
 * <p>Every attempt at one entry carries the same client id and call id, so that a leader that already has it (it
 * applied it as a follower) answers from Ratis' retry cache instead of appending it twice. Runs on the replication
 * verticle's loop.
 */
final class LeaderLink {
  private static final Logger log = LoggerFactory.getLogger(LeaderLink.class);
  /** Before asking again when no leader is known, or the one known is not ready to take entries. */
  private static final long WAIT_FOR_LEADER_MILLIS = 20;
  /** Before trying again after a peer failed to answer (not reachable, timed out). */
  private static final long AFTER_FAILURE_MILLIS = 100;

  private final Context context;
  /** This node's Raft server as it is now (a restart replaces it). */
  private final Supplier<RaftServer> server;
  private final RaftGroupId groupId;
  private final RaftPeerId self;
  private final ClientId clientId = ClientId.randomId();
  private final RaftClientRpc rpc;
  private final Set<RaftPeerId> peers = new HashSet<>();
  private final Set<RaftPeerId> resetting = new HashSet<>();
  private final Set<Delivery> underWay = new HashSet<>();
  private RaftPeerId leader;

  LeaderLink(Context context, CairnConfig cfg, Supplier<RaftServer> server, RaftGroupId groupId, RaftPeerId self) {
    this.context = context;
    this.server = server;
    this.groupId = groupId;
    this.self = self;
    this.rpc = new GrpcFactory(RaftSetup.parameters(cfg)).newRaftClientRpc(clientId, RaftSetup.clientProperties());
  }

  /** The voters' addresses, as the configuration names them; a peer added later is reached from then on. */
  void peers(Collection<RaftPeer> voters) {
    for (RaftPeer p : voters) {
      if (peers.add(p.getId())) {
        rpc.addRaftPeers(List.of(p));
      }
    }
  }

  /**
   * This node's server names a leader (null: none known). An entry under way to another node is sent to the new
   * one at once: its answer from the old one, if it ever comes, is ignored.
   */
  void leader(RaftPeerId newLeader) {
    boolean changed = newLeader != null && !newLeader.equals(leader);
    leader = newLeader;
    if (!changed) {
      return;
    }
    for (Delivery d : Set.copyOf(underWay)) {
      if (!newLeader.equals(d.target)) {
        d.attempt();
      }
    }
  }

  /** Sends one entry until a leader committed it (the reply), refused it, or {@code deadline} passed. */
  Future<RaftClientReply> send(Message entry, long deadline) {
    Delivery d = new Delivery(entry, deadline, CallId.getAndIncrement());
    underWay.add(d);
    d.attempt();
    return d.result.future();
  }

  /** Closes the channels to the peers (blocking: call from a worker). */
  void close() throws IOException {
    rpc.close();
  }

  private final class Delivery {
    final Message entry;
    final long deadline;
    final long callId;
    final Promise<RaftClientReply> result = Promise.promise();
    RaftPeerId target;
    int attempts;
    long retryTimer = -1;

    Delivery(Message entry, long deadline, long callId) {
      this.entry = entry;
      this.deadline = deadline;
      this.callId = callId;
    }

    void attempt() {
      cancelRetry();
      if (System.currentTimeMillis() >= deadline) {
        finish(null, new TimeoutException("no leader committed the entry in time"));
        return;
      }
      if (leader == null) {
        retryIn(WAIT_FOR_LEADER_MILLIS);
        return;
      }
      int attempt = ++attempts;
      target = leader;
      RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(clientId).setServerId(target)
          .setGroupId(groupId).setCallId(callId).setMessage(entry).setType(RaftClientRequest.writeRequestType())
          .build();
      CompletableFuture<RaftClientReply> sent = target.equals(self)
          ? RaftCalls.call(() -> server.get().submitClientRequestAsync(request))
          : rpc.sendRequestAsyncUnordered(request);
      RaftPeerId to = target;
      sent.whenComplete((reply, err) -> context.runOnContext(v -> {
        if (attempt == attempts && !result.future().isComplete()) {
          answered(to, reply, err == null ? null : JavaUtils.unwrapCompletionException(err));
        }
      }));
    }

    private void answered(RaftPeerId from, RaftClientReply reply, Throwable err) {
      if (err != null) {
        // Ratis' client side ends its stream to a peer at any refusal that comes as an exception (not the leader,
        // not ready, no answer in time): the channel is made anew before the next entry goes there.
        reset(from);
      }
      Throwable refusal = err != null ? err : reply.getException();
      if (refusal == null) {
        finish(reply, null);
      } else if (refusal instanceof NotLeaderException notLeader) {
        RaftPeer suggested = notLeader.getSuggestedLeader();
        if (suggested != null && !suggested.getId().equals(from)) {
          peers(List.of(suggested));
          leader = suggested.getId();
          attempt();
        } else {
          retryIn(WAIT_FOR_LEADER_MILLIS);
        }
      } else if (refusal instanceof LeaderNotReadyException) {
        retryIn(WAIT_FOR_LEADER_MILLIS);
      } else if (refusal instanceof IOException && reply == null) {
        // Not reached, or no answer in time: whoever leads next gets the entry.
        retryIn(AFTER_FAILURE_MILLIS);
      } else {
        finish(reply, err);
      }
    }

    private void cancelRetry() {
      if (retryTimer >= 0) {
        context.owner().cancelTimer(retryTimer);
        retryTimer = -1;
      }
    }

    private void retryIn(long millis) {
      if (retryTimer < 0) {
        retryTimer = context.owner().setTimer(millis, id -> {
          retryTimer = -1;
          attempt();
        });
      }
    }

    private void finish(RaftClientReply reply, Throwable err) {
      underWay.remove(this);
      cancelRetry();
      if (err != null) {
        result.tryFail(err);
      } else {
        result.tryComplete(reply);
      }
    }
  }

  /**
   * Closing a gRPC channel waits for the calls on it, which a stalled peer never ends: on a worker, one at a time per
   * peer, so that no proposal waits on it. gRPC reconnects a channel by itself, but only after a back-off.
   */
  private void reset(RaftPeerId peer) {
    if (peer.equals(self) || !resetting.add(peer)) {
      return;
    }
    context.owner().executeBlocking(() -> rpc.handleException(peer, new IOException("no answer"), true), false)
        .onComplete(ar -> {
          resetting.remove(peer);
          if (ar.failed()) {
            log.debug("Resetting the channel to {}: {}", peer, ar.cause().toString());
          }
        });
  }
}
