package io.cairn.health;

import io.cairn.model.Check;
import io.cairn.model.ServiceEntry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;

/**
 * The example check plugin (listed in META-INF/services/io.cairn.health.Checker of the test class path): type
 * {@code echo} sends "PING\n" to the instance's address and port and is healthy when "PONG" comes back.
 */
public final class EchoChecker implements Checker {
  private NetClient client;

  @Override
  public String type() {
    return "echo";
  }

  @Override
  public void init(Vertx vertx) {
    client = vertx.createNetClient();
  }

  @Override
  public Future<CheckResult> check(ServiceEntry instance, Check check) {
    return client.connect(instance.port(), instance.address()).compose(socket -> {
      Promise<CheckResult> answered = Promise.promise();
      Buffer received = Buffer.buffer();
      socket.handler(data -> {
        received.appendBuffer(data);
        if (received.toString().contains("\n")) {
          String line = received.toString().trim();
          answered.tryComplete(line.equals("PONG") ? CheckResult.healthy("PONG")
              : CheckResult.unhealthy("answered '" + line + "'"));
          socket.close();
        }
      });
      socket.closeHandler(v -> answered.tryComplete(CheckResult.unhealthy("closed without answering")));
      socket.write("PING\n");
      return answered.future();
    });
  }
}
