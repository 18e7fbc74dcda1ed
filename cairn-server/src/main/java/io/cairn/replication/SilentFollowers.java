package io.cairn.replication;

import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * On the leader: gives a follower that has not answered for a while a fresh connection.
 *
 * <p>Why: Ratis sends a follower its entries over one long-lived gRPC connection. When a partition drops that
 * connection's packets, TCP backs off its retransmissions (to a minute and more), and Ratis keeps waiting on the
 * old connection: after the partition heals, the follower stayed cut off for as long as TCP's next retry took (10 s
 * and more measured; minutes on a loaded machine). Ratis has no keepalive for it, so the leader replaces the
 * connection itself: the next append then connects anew, which succeeds as soon as the network is back.
 */
final class SilentFollowers {
  private static final Logger log = LoggerFactory.getLogger(SilentFollowers.class);

  /** This node's Raft server as it is now (a restart replaces it). */
  private final Supplier<RaftServer> server;
  private final long silentMillis;
  /** When each follower's connection was last replaced, so that a follower still cut off is retried at that pace. */
  private final Map<String, Long> replacedAt = new HashMap<>();
  /** Closing a gRPC channel waits for its calls (seconds): off the event loop, one follower at a time. */
  private final Set<String> replacing = ConcurrentHashMap.newKeySet();
  private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "cairn-raft-reconnect");
    t.setDaemon(true);
    return t;
  });

  /** @param silentMillis how long a follower may go without answering before its connection is replaced */
  SilentFollowers(Supplier<RaftServer> server, long silentMillis) {
    this.server = server;
    this.silentMillis = silentMillis;
  }

  /** Called on the leader with its current view of its followers. */
  void check(RoleInfoProto leaderRole, long now) {
    for (ServerRpcProto follower : leaderRole.getLeaderInfo().getFollowerInfoList()) {
      String id = follower.getId().getId().toStringUtf8();
      long silent = follower.getLastRpcElapsedTimeMs();
      if (silent < silentMillis || now - replacedAt.getOrDefault(id, 0L) < silentMillis || !replacing.add(id)) {
        continue;
      }
      replacedAt.put(id, now);
      log.info("Raft follower {} has not answered for {} ms: connecting to it anew", id, silent);
      closer.execute(() -> {
        try {
          server.get().getServerRpc().handleException(RaftPeerId.valueOf(id),
              new IOException("no answer for " + silent + " ms"), true);
        } catch (RuntimeException e) {
          log.warn("Could not reconnect to Raft follower {}: {}", id, e.toString());
        } finally {
          replacing.remove(id);
        }
      });
    }
  }

  void close() {
    closer.shutdownNow();
  }
}
