package io.cairn.bench.zookeeper;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * Registrations in the shape of Curator's service discovery (curator-x-discovery's ServiceDiscoveryImpl): an instance
 * is an EPHEMERAL znode {@code /services/{name}/{id}} holding its document, created with
 * {@code creatingParentContainersIfNeeded()}; here asynchronously ({@code inBackground}), one request in flight per
 * session.
 */
final class Registrations {
  static final String BASE = "/services";

  private final Sessions sessions;

  Registrations(Sessions sessions) {
    this.sessions = sessions;
  }

  static String path(String name, String id) {
    return BASE + "/" + name + "/" + id;
  }

  /** Creates every instance (the preload), spread over the sessions, which own them from then on. */
  ClosedLoop.Operation preload(List<Documents.Instance> instances) {
    AtomicInteger next = new AtomicInteger();
    return (session, sequence, done) -> {
      int i = next.getAndIncrement();
      if (i >= instances.size()) {
        return false;
      }
      Documents.Instance instance = instances.get(i);
      create(sessions.get(session), path(instance.name(), instance.id()), instance.json(), done);
      return true;
    };
  }

  /**
   * The parents {@code /services/{prefix}-0 .. -999}, as the CONTAINER znodes Curator makes for them, before a run:
   * Curator makes a name's parent at the first registration of the name only, and Cairn's and etcd's runs have no
   * such first write either. An existing parent counts as done.
   */
  ClosedLoop.Operation parents(String prefix) {
    AtomicInteger next = new AtomicInteger();
    return (session, sequence, done) -> {
      int j = next.getAndIncrement();
      if (j >= 1000) {
        return false;
      }
      sessions.get(session).create().creatingParentContainersIfNeeded().withMode(CreateMode.CONTAINER)
          .inBackground(answer(done, KeeperException.Code.NODEEXISTS)).forPath(BASE + "/" + prefix + "-" + j);
      return true;
    };
  }

  /**
   * The measured run: distinct instances, id {@code <prefix>-<session>-<n>} under the name {@code <prefix>-<n % 1000>}
   * with that name's document, as bench/peers.lua does per wrk thread.
   */
  ClosedLoop.Operation distinct(Documents documents) {
    return (session, sequence, done) -> {
      int j = (int) (sequence % 1000);
      String id = documents.prefix() + "-" + (session + 1) + "-" + sequence;
      create(sessions.get(session), path(documents.name(j), id), documents.document(j), done);
      return true;
    };
  }

  /**
   * The warm-up: re-registrations of a bounded set of ids ({@code idsPerSession} per session), so that a long warm-up
   * does not grow the tree. A slot's first registration is a create; each later one deletes the znode and creates it
   * again, which is what Curator's registerService does for an id that exists (after a failed create, a round trip
   * left out here since the client knows). Delete + create rather than setData: the measured run is creates, and the
   * warm-up is there to compile the server's create path (and the delete path costs a write through the leader too).
   */
  ClosedLoop.Operation rereg(Documents documents, int idsPerSession) {
    return (session, sequence, done) -> {
      long slot = sequence % idsPerSession;
      int j = (int) (slot % 1000);
      String path = path(documents.name(j), documents.prefix() + "-" + (session + 1) + "-" + slot);
      CuratorFramework client = sessions.get(session);
      if (sequence <= idsPerSession) {
        create(client, path, documents.document(j), done);
      } else {
        client.delete().inBackground((c, event) -> {
          int rc = event.getResultCode();
          if (rc != KeeperException.Code.OK.intValue() && rc != KeeperException.Code.NONODE.intValue()) {
            done.answered(false);
            return;
          }
          try {
            create(client, path, documents.document(j), done);
          } catch (Exception e) {
            done.answered(false);
          }
        }).forPath(path);
      }
      return true;
    };
  }

  /** Instances stored under the names {@code <prefix>-0 .. -999}, read through the first session. */
  long count(String prefix) throws Exception {
    long total = 0;
    CuratorFramework client = sessions.get(0);
    for (int j = 0; j < 1000; j++) {
      String parent = BASE + "/" + prefix + "-" + j;
      if (client.checkExists().forPath(parent) != null) {
        total += client.getChildren().forPath(parent).size();
      }
    }
    return total;
  }

  // Throws rather than answers a request that cannot be sent: ClosedLoop answers it off the caller's stack.
  private static void create(CuratorFramework client, String path, byte[] data, ClosedLoop.Answer done)
      throws Exception {
    client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
        .inBackground(answer(done, KeeperException.Code.OK)).forPath(path, data);
  }

  private static BackgroundCallback answer(ClosedLoop.Answer done, KeeperException.Code alsoFine) {
    return (client, event) -> {
      int rc = event.getResultCode();
      done.answered(rc == KeeperException.Code.OK.intValue() || rc == alsoFine.intValue());
    };
  }
}
