import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;

/**
 * The bare Vert.x HTTP ceiling for bench/peers.sh: GET /ping answered "pong" by as many event loops as the machine
 * has cores, the way a Cairn node serves its REST API, with nothing else. A registration's CPU is compared with a
 * ping's in the same run. Run from the fat jar's class path as a single source file:
 * java -cp target/cairn.jar bench/PingServer.java PORT
 */
public class PingServer extends AbstractVerticle {
  private final int port;

  public PingServer(int port) {
    this.port = port;
  }

  @Override
  public void start() {
    vertx.createHttpServer()
        .requestHandler(req -> req.response().putHeader("Content-Type", "text/plain").end("pong"))
        .listen(port, "127.0.0.1")
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new PingServer(port),
            new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .onSuccess(id -> System.out.println("ping server on 127.0.0.1:" + port))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }
}
