package io.cairn.config;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Builds the Hazelcast member configuration of a node from its {@link CairnConfig}: cluster name, port, the
 * TCP-IP join list, and the data structures of the registry. Multicast and auto-detection are off so that a node
 * joins only the members it is told about.
 */
public final class ClusterSetup {
  /** The member attribute in which Vert.x's Hazelcast cluster manager keeps the member's Vert.x node id. */
  public static final String VERTX_NODE_ID = "__vertx.nodeId";
  /** The one decision that forms a new cluster's Raft group (put-if-absent, so one decision wins). */
  public static final String STATE = "cairn.state";

  private ClusterSetup() {
  }

  public static HazelcastClusterManager clusterManager(CairnConfig cfg) {
    return new HazelcastClusterManager(hazelcastConfig(cfg));
  }

  public static Config hazelcastConfig(CairnConfig cfg) {
    Config config = vertxDefaults();
    config.setClusterName(cfg.cluster().name());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // The master takes each join as it comes instead of waiting for more (a second after every new one, by default):
    // with 31 partitions a second join costs a few small migrations, and a cluster starting at once saved the wait.
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    // Few partitions: Hazelcast holds a few small entries here, and every member that joins moves partitions to
    // itself, one migration each, which a cluster starting at once waits through (conf/cairn.yaml says more).
    config.setProperty("hazelcast.partition.count", String.valueOf(cfg.cluster().partitions()));
    // Failure detection and merging: what each knob trades is written in conf/cairn.yaml.
    setSeconds(config, "hazelcast.heartbeat.interval.seconds", cfg.cluster().heartbeatIntervalMillis());
    setSeconds(config, "hazelcast.max.no.heartbeat.seconds", cfg.cluster().failureTimeoutMillis());
    setSeconds(config, "hazelcast.merge.first.run.delay.seconds", cfg.cluster().mergeIntervalMillis());
    setSeconds(config, "hazelcast.merge.next.run.delay.seconds", cfg.cluster().mergeIntervalMillis());
    // Hazelcast's own graceful shutdown (handing partitions over) waits up to 600 s by default: bound it by the grace
    // period, so that a stopped node always exits.
    setSeconds(config, "hazelcast.graceful.shutdown.max.wait", cfg.shutdown().gracePeriodMillis());
    config.getJetConfig().setEnabled(false);
    // Hazelcast's own metrics feed its Management Center, which Cairn does not use (its metrics are Micrometer's): off,
    // they cost a collection every 5 s and some 130 classes at start-up.
    config.getMetricsConfig().setEnabled(false);
    // Its health monitor samples the JVM every 20 s to log when memory or CPU run high (Cairn's /metrics says as
    // much): 7 % of a starting node's samples in a profile.
    config.setProperty("hazelcast.health.monitoring.level", "OFF");

    var network = config.getNetworkConfig();
    network.setPort(cfg.cluster().port()).setPortAutoIncrement(cfg.cluster().portAutoIncrement());
    network.setPublicAddress(null);
    network.getInterfaces().setEnabled(true).addInterface(cfg.cluster().host());
    config.setProperty("hazelcast.local.localAddress", cfg.cluster().host());
    // Hazelcast binds its member port to every interface unless told not to, whatever address it announces.
    config.setProperty("hazelcast.socket.bind.any", "false");
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    // How long a starting member asks the join list for a master before the one with the lowest address claims the
    // role (Hazelcast's default 5 s). Members of a cluster that is forming all wait it out, so a cluster restarted at
    // once spent 5 of its 14-16 s here. A shorter wait cannot split a running cluster: the claim needs the vote of
    // every member that answers, and a member that knows another master votes no.
    join.getTcpIpConfig().setEnabled(true).setMembers(cfg.cluster().join()).setConnectionTimeoutSeconds(1);

    // Hazelcast holds no registry state: the registry is the Raft log (replication/). Any process that reaches the
    // member port may join and write its maps, so Cairn reads from them only the forming decision, and checks it
    // against the nodes admitted over the event bus (replication/PeerDirectory).
    config.addMapConfig(new MapConfig(STATE).setBackupCount(cfg.cluster().backupCount()));
    return config;
  }

  /**
   * What Vert.x's default-cluster.xml holds (the structures its event bus and HA keep in Hazelcast), built in code:
   * reading the XML loaded the JDK's XML parser and Hazelcast's XML config builder, some 700 classes, at every start.
   */
  private static Config vertxDefaults() {
    Config config = new Config();
    config.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
    config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
    return config;
  }

  /** Hazelcast counts these in whole seconds; a value below one second becomes one. */
  private static void setSeconds(Config config, String property, long millis) {
    config.setProperty(property, String.valueOf(seconds(millis)));
  }

  private static int seconds(long millis) {
    return (int) Math.max(1, (millis + 999) / 1000);
  }
}
