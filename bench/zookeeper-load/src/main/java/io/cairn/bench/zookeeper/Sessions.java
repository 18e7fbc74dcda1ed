package io.cairn.bench.zookeeper;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * One Curator client (one ZooKeeper session, one TCP connection) per concurrent request, the counterpart of wrk's
 * connections: 32 sessions with one request in flight each. ZooKeeper handles the requests of one session in order on
 * one worker thread, so a single session with 32 requests in flight would measure that ordering, not the server.
 * Every session stays open until the end of the run: the ephemeral znodes it created (the preloaded instances among
 * them) live as long as it does.
 */
final class Sessions implements AutoCloseable {
  private final List<CuratorFramework> clients = new ArrayList<>();

  Sessions(String connect, int count) throws InterruptedException {
    for (int i = 0; i < count; i++) {
      CuratorFramework client = CuratorFrameworkFactory.builder()
          .connectString(connect)
          // Curator's defaults (60 s session, 15 s connection), the retry policy of its examples.
          .retryPolicy(new ExponentialBackoffRetry(100, 3))
          .build();
      clients.add(client);
      client.start();
    }
    for (CuratorFramework client : clients) {
      if (!client.blockUntilConnected(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no ZooKeeper session with " + connect + " after 60 s");
      }
    }
  }

  int size() {
    return clients.size();
  }

  CuratorFramework get(int session) {
    return clients.get(session);
  }

  @Override
  public void close() {
    clients.forEach(CuratorFramework::close);
  }
}
