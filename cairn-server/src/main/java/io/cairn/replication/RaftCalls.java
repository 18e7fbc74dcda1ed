package io.cairn.replication;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.CallId;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Calls to this node's own Raft server, never on the caller's thread (below): Ratis' asynchronous calls declare an
 * IOException they may throw before returning a future (one shape for both), and the read-index request that
 * several parts send.
 */
final class RaftCalls {
  private RaftCalls() {
  }

  interface Call<T> {
    CompletableFuture<T> start() throws IOException;
  }

  /**
   * Ratis' asynchronous server calls block their caller until the server has taken the request in
   * ({@code RaftServerImpl.executeSubmitServerRequestAsync} and {@code executeSubmitClientRequestAsync} join), which
   * waits for the server's lock. Made from an event loop, a Raft server that is stuck stops the node's loop with it:
   * a follower whose server stopped answering under load (GrowthIT, a loaded CI run) had its loop blocked for 132 s
   * by a snapshot request. So every call starts on a thread of its own; callers take the answer back to their
   * context as before.
   */
  private static final ExecutorService STARTS = Executors.newCachedThreadPool(task -> {
    Thread t = new Thread(task, "cairn-raft-call");
    t.setDaemon(true);
    return t;
  });

  static <T> CompletableFuture<T> call(Call<T> call) {
    return CompletableFuture.supplyAsync(() -> start(call), STARTS).thenCompose(started -> started);
  }

  private static <T> CompletableFuture<T> start(Call<T> call) {
    try {
      return call.start();
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * A read-index request to this node's own server: the leader answers with its commit index once a majority has
   * confirmed its leadership, and sends every follower a heartbeat to ask them (which also tells them the commit index).
   * No timeout: Ratis 3.2.2 reads a request's timeout only for leadership transfers, step-downs and snapshots, so a
   * caller that must not wait for ever bounds the answer itself.
   */
  static RaftClientRequest readIndex(ClientId clientId, RaftPeerId server, RaftGroupId group) {
    return RaftClientRequest.newBuilder().setClientId(clientId).setServerId(server).setGroupId(group)
        .setCallId(CallId.getAndIncrement()).setMessage(Message.EMPTY).setType(RaftClientRequest.readRequestType())
        .build();
  }
}
