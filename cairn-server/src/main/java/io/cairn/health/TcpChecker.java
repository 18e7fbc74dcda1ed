package io.cairn.health;

import io.cairn.model.Check;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

/** {@code tcp}: healthy when a connection to the instance's address and port opens (it is closed at once). */
public final class TcpChecker implements Checker {
  private NetClient client;

  @Override
  public String type() {
    return "tcp";
  }

  @Override
  public void init(Vertx vertx) {
    client = vertx.createNetClient(new NetClientOptions());
  }

  @Override
  public Future<CheckResult> check(ServiceEntry instance, Check check) {
    return client.connect(new ConnectOptions().setHost(instance.address())
            .setPort(instance.port()).setTimeout((int) Math.min(Integer.MAX_VALUE, check.timeoutMillis())))
        .map(socket -> {
          socket.close();
          return CheckResult.healthy("TCP connect to " + instance.address() + ":" + instance.port() + " succeeded");
        });
  }
}
