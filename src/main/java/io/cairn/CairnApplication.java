package io.cairn;

import io.cairn.config.CairnConfig;
import io.cairn.config.ClusterSetup;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The launcher: Vert.x's {@link VertxApplication} (so {@code -cluster}, {@code -cluster-host}, {@code -conf} and
 * the other Vert.x flags work as documented) with hooks that build the Hazelcast cluster manager from Cairn's
 * configuration and leave the cluster gracefully on shutdown. Cairn's own flags ({@code --section.key=value},
 * {@code --config=PATH}) are taken out before Vert.x parses the rest.
 */
public class CairnApplication extends VertxApplication implements VertxApplicationHooks {
  private final List<String> cairnFlags;
  private CairnConfig config;

  protected CairnApplication(String[] vertxArgs, List<String> cairnFlags) {
    super(vertxArgs, null, true, true);
    this.cairnFlags = cairnFlags;
  }

  public static void main(String[] args) {
    List<String> vertxArgs = new ArrayList<>();
    List<String> cairnFlags = new ArrayList<>();
    boolean clustered = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg.startsWith("--") ? arg.substring(2).split("=", 2)[0] : "";
      if (name.contains(".") || name.equals("config")) {
        cairnFlags.add(arg);
        if (!arg.contains("=") && i + 1 < args.length) {
          cairnFlags.add(args[++i]);
        }
      } else {
        clustered |= arg.equals("-cluster") || arg.equals("--cluster");
        vertxArgs.add(arg);
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
    return config.toJson();
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    return io.vertx.core.Vertx.builder()
        .with(CairnNode.vertxOptions(options, config))
        .withClusterManager(ClusterSetup.clusterManager(config));
  }

  /** Announce the departure before the cluster manager goes, so peers record "left", not "failed". */
  @Override
  public void beforeStoppingVertx(HookContext context) {
    try {
      context.vertx().eventBus()
          .request(Addresses.LEAVE, null, new DeliveryOptions().setLocalOnly(true).setSendTimeout(5000))
          .toCompletionStage().toCompletableFuture().get(6, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Not fatal: the leader will notice the departure and record a failure instead.
    }
  }
}
