package io.cairn;

import io.cairn.cli.CairnCli;
import io.cairn.config.BridgeSettings;
import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.cairn.config.Logging;
import io.cairn.node.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The launcher: Vert.x's {@link VertxApplication} (so {@code -cluster}, {@code -cluster-host}, {@code -conf} and
 * the other Vert.x flags work as documented) with hooks that build the Hazelcast cluster manager from Cairn's
 * configuration and leave the cluster gracefully on shutdown. Cairn's own flags ({@code --section.key=value},
 * {@code --config=PATH}) are taken out before Vert.x parses the rest.
 */
public class CairnApplication extends VertxApplication implements VertxApplicationHooks {
  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
  private final List<String> cairnFlags;
  private CairnConfig config;

  protected CairnApplication(String[] vertxArgs, List<String> cairnFlags) {
    super(vertxArgs, null, true, true);
    this.cairnFlags = cairnFlags;
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("cli")) {
      // The same jar is the command line (bin/cairn): java -jar cairn.jar cli services web ...
      Logging.commandLine();
      CairnCli.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    // On two cores the common pool has one thread, and then CompletableFuture's *Async calls without an executor
    // (Ratis makes one per follower append) start a new thread per task: ~70 threads a second under writes.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    List<String> vertxArgs = new ArrayList<>();
    List<String> cairnFlags = new ArrayList<>();
    boolean clustered = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg.startsWith("--") ? arg.substring(2).split("=", 2)[0] : "";
      if (name.contains(".") || name.equals("config") || name.equals("join") || name.equals(BridgeSettings.KEY)) {
        cairnFlags.add(arg);
        if (!arg.contains("=") && i + 1 < args.length) {
          cairnFlags.add(args[++i]);
        }
      } else {
        clustered |= arg.equals("-cluster") || arg.equals("--cluster");
        vertxArgs.add(arg);
        if ((arg.equals("-cluster-host") || arg.equals("--cluster-host")) && i + 1 < args.length) {
          // Vert.x binds its event bus there; Hazelcast and Raft follow (and the checks of cluster.host apply),
          // unless --cluster.host says otherwise (a later flag wins).
          vertxArgs.add(args[++i]);
          cairnFlags.add(0, "--cluster.host=" + args[i]);
        }
      }
    }
    if (!clustered) {
      vertxArgs.add(0, "-cluster");
    }
    new CairnApplication(vertxArgs.toArray(new String[0]), cairnFlags).launch();
  }

  @Override
  public JsonObject afterConfigParsed(JsonObject conf) {
    try {
      config = CairnConfig.load(new ArrayList<>(cairnFlags), System.getenv(), conf);
    } catch (RuntimeException e) {
      System.err.println("cairn: configuration error: " + e.getMessage());
      throw e;
    }
    Logging.apply(config);
    return config.toJson();
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    return Vertx.builder()
        .with(CairnNode.vertxOptions(options, config))
        .withClusterManager(ClusterSetup.clusterManager(config));
  }

  /**
   * SIGTERM and SIGINT start a graceful departure, then exit with status 0: a stop the operator asked for is not a
   * failure. (Without a handler the JVM would run the same shutdown but exit 143.)
   */
  @Override
  public void afterVerticleDeployed(HookContext context) {
    Runnable shutdown = () -> {
      leave(context.vertx());
      System.exit(0);
    };
    for (String signal : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> new Thread(shutdown, "cairn-shutdown").start());
      } catch (IllegalArgumentException unsupported) {
        // This platform does not let us handle it; the JVM's own shutdown still leaves gracefully.
      }
    }
  }

  /** Announce the departure before the cluster manager goes, so peers record "left", not "failed". */
  @Override
  public void beforeStoppingVertx(HookContext context) {
    leave(context.vertx());
  }

  /**
   * Asks the node to leave (no new writes, leadership handed over, requests finished, nodeLeft recorded) and waits
   * for it, at most shutdown.gracePeriod and a little. A second call returns at once.
   */
  private void leave(Vertx vertx) {
    long grace = config.shutdown().gracePeriodMillis();
    try {
      vertx.eventBus()
          .request(Addresses.LEAVE, null, new DeliveryOptions().setLocalOnly(true).setSendTimeout(grace + 2000))
          .toCompletionStage().toCompletableFuture().get(grace + 3000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Not fatal: the leader will notice the departure and record a failure instead.
    }
  }
}
