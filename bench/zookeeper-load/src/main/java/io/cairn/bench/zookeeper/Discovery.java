package io.cairn.bench.zookeeper;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Discovery in the shape of Curator's {@code ServiceDiscovery.queryForInstances(name)}: getChildren of
 * {@code /services/{name}}, then getData of each child, one after the other as Curator does, for a name chosen at
 * random among the 1,000 preloaded ones (as bench/peers.lua chooses for Cairn and etcd). One query is one request of
 * the run, however many round trips it takes. No sync() first, like Curator: each read is answered by the member the
 * session is connected to, the counterpart of etcd's serializable range and of Cairn's default local read.
 */
final class Discovery {
  private final Sessions sessions;

  Discovery(Sessions sessions) {
    this.sessions = sessions;
  }

  ClosedLoop.Operation query(String namePrefix, int names) {
    return (session, sequence, done) -> {
      String parent = Registrations.BASE + "/" + namePrefix + "-" + ThreadLocalRandom.current().nextInt(names);
      CuratorFramework client = sessions.get(session);
      client.getChildren().inBackground((c, event) -> {
        if (event.getResultCode() != KeeperException.Code.OK.intValue()) {
          done.answered(false);
          return;
        }
        read(client, parent, event.getChildren(), 0, done);
      }).forPath(parent);
      return true;
    };
  }

  // getData of children[i], then of the next one from its callback; answers when all are read.
  private static void read(CuratorFramework client, String parent, List<String> children, int i,
                           ClosedLoop.Answer done) {
    if (i == children.size()) {
      done.answered(true);
      return;
    }
    try {
      client.getData().inBackground((c, event) -> {
        if (event.getResultCode() != KeeperException.Code.OK.intValue() || event.getData() == null) {
          done.answered(false);
          return;
        }
        read(client, parent, children, i + 1, done);
      }).forPath(parent + "/" + children.get(i));
    } catch (Exception e) {
      done.answered(false);
    }
  }
}
