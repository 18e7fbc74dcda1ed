package io.cairn.config;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.RingbufferConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Builds the Hazelcast member configuration of a node from its {@link CairnConfig}: cluster name, port, the
 * TCP-IP join list, and the data structures of the registry. Multicast and auto-detection are off so that a node
 * joins only the members it is told about.
 */
public final class ClusterSetup {
  public static final String LOG = "cairn.log";
  public static final String NODES = "cairn.nodes";
  public static final String SNAPSHOTS = "cairn.snapshots";
  public static final String STATE = "cairn.state";

  private ClusterSetup() {
  }

  public static HazelcastClusterManager clusterManager(CairnConfig cfg) {
    return new HazelcastClusterManager(hazelcastConfig(cfg));
  }

  public static Config hazelcastConfig(CairnConfig cfg) {
    // Vert.x's defaults carry the maps its event bus needs (__vertx.subs and friends).
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(cfg.clusterName());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    config.getJetConfig().setEnabled(false);

    var network = config.getNetworkConfig();
    network.setPort(cfg.clusterPort()).setPortAutoIncrement(cfg.clusterPortAutoIncrement());
    network.setPublicAddress(null);
    network.getInterfaces().setEnabled(true).addInterface(cfg.clusterHost());
    config.setProperty("hazelcast.local.localAddress", cfg.clusterHost());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cfg.clusterJoin());

    config.addMapConfig(new MapConfig(NODES).setBackupCount(cfg.clusterBackupCount()));
    config.addMapConfig(new MapConfig(SNAPSHOTS).setBackupCount(cfg.clusterBackupCount()));
    config.addMapConfig(new MapConfig(STATE).setBackupCount(cfg.clusterBackupCount()));
    return config;
  }

  /**
   * The registry log. Added as dynamic configuration by the replication verticle (not here) so that it spreads to
   * every member, including plain Vert.x members that may end up owning the log's partition.
   *
   * <p>Synchronous backups so that an acknowledged command survives the loss of its owner, binary
   * storage (items are already bytes), and overwrite on overflow, because a node that falls that far behind
   * reloads from a snapshot rather than holding up every writer.
   */
  public static RingbufferConfig logConfig(CairnConfig cfg) {
    return new RingbufferConfig(LOG)
        .setCapacity(cfg.logCapacity())
        .setBackupCount(cfg.clusterBackupCount())
        .setAsyncBackupCount(0)
        .setTimeToLiveSeconds(0)
        .setInMemoryFormat(InMemoryFormat.BINARY);
  }
}
