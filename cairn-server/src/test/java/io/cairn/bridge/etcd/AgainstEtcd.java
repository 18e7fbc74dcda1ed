package io.cairn.bridge.etcd;

import io.cairn.support.EtcdServer;
import io.cairn.support.OnContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class run against one real etcd, calling the client on one Vert.x context as a verticle would. */
abstract class AgainstEtcd {
  static EtcdServer etcd;
  static OnContext loop;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    loop = new OnContext();
  }

  @AfterAll
  static void stopEtcd() {
    if (loop != null) {
      loop.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }
}
