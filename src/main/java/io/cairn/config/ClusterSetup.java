package io.cairn.config;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.config.cp.CPSubsystemConfig;
import com.hazelcast.config.cp.FencedLockConfig;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import com.hazelcast.spi.merge.DiscardMergePolicy;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Builds the Hazelcast member configuration of a node from its {@link CairnConfig}: cluster name, port, the
 * TCP-IP join list, and the data structures of the registry. Multicast and auto-detection are off so that a node
 * joins only the members it is told about.
 */
public final class ClusterSetup {
  /** The member attribute in which Vert.x's Hazelcast cluster manager keeps the member's Vert.x node id. */
  public static final String VERTX_NODE_ID = "__vertx.nodeId";
  public static final String LOG = "cairn.log";
  public static final String NODES = "cairn.nodes";
  public static final String SNAPSHOTS = "cairn.snapshots";
  public static final String STATE = "cairn.state";
  /** The CP FencedLock whose holder is the leader; its fence token is the leader's term. */
  public static final String LEADER_LOCK = "cairn.leader";
  /** Split-brain protection of the log: a side of a split with fewer members than the quorum cannot append. */
  public static final String QUORUM = "cairn.quorum";

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
    // Failure detection and merging: what each knob trades is written in conf/cairn.yaml.
    setSeconds(config, "hazelcast.heartbeat.interval.seconds", cfg.heartbeatIntervalMillis());
    setSeconds(config, "hazelcast.max.no.heartbeat.seconds", cfg.failureTimeoutMillis());
    setSeconds(config, "hazelcast.merge.first.run.delay.seconds", cfg.mergeIntervalMillis());
    setSeconds(config, "hazelcast.merge.next.run.delay.seconds", cfg.mergeIntervalMillis());
    // Hazelcast's own graceful shutdown (handing partitions over, and a Raft member removing itself from its groups)
    // waits up to 600 s by default; when a whole Raft cluster stops at once the last members cannot commit their
    // removal and would hang there. Bound it by the grace period, so that a stopped node always exits.
    setSeconds(config, "hazelcast.graceful.shutdown.max.wait", cfg.shutdownGracePeriodMillis());
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

    // After a split heals, the side that merges into the other brings nothing of the registry with it: its log,
    // snapshots and cursors describe a history the surviving side does not share, and it reloads from the
    // survivor's (ReplicationVerticle). With a quorum, that side had acknowledged no writes.
    for (String map : new String[] {NODES, SNAPSHOTS, STATE}) {
      config.addMapConfig(new MapConfig(map).setBackupCount(cfg.clusterBackupCount()).setMergePolicyConfig(discard()));
    }
    if (cfg.quorum() > 1) {
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(QUORUM, true, cfg.quorum())
          .setProtectOn(SplitBrainProtectionOn.WRITE));
    }
    config.setCPSubsystemConfig(cpSubsystem(cfg));
    return config;
  }

  /**
   * Leader election: a FencedLock, Raft-backed with {@code cluster.raft.members} CP members, or in unsafe mode (0).
   * Raft's own leader failure detection is tightened from its 5 s x 5 heartbeats so that losing the member that
   * leads the CP group does not stall leader failover for half a minute.
   */
  private static CPSubsystemConfig cpSubsystem(CairnConfig cfg) {
    CPSubsystemConfig cp = new CPSubsystemConfig()
        .setCPMemberCount(cfg.raftEnabled() ? cfg.raftMembers() : 0)
        .setSessionTimeToLiveSeconds(seconds(cfg.raftSessionTtlMillis()))
        .setSessionHeartbeatIntervalSeconds(seconds(cfg.raftSessionHeartbeatMillis()))
        .setMissingCPMemberAutoRemovalSeconds(seconds(cfg.raftMissingMemberRemovalMillis()));
    cp.getRaftAlgorithmConfig()
        .setLeaderHeartbeatPeriodInMillis(500)
        .setMaxMissedLeaderHeartbeatCount(4)
        .setLeaderElectionTimeoutInMillis(1000);
    cp.addLockConfig(new FencedLockConfig(LEADER_LOCK, 1));
    return cp;
  }

  private static MergePolicyConfig discard() {
    return new MergePolicyConfig(DiscardMergePolicy.class.getName(), MergePolicyConfig.DEFAULT_BATCH_SIZE);
  }

  /** Hazelcast counts these in whole seconds; a value below one second becomes one. */
  private static void setSeconds(Config config, String property, long millis) {
    config.setProperty(property, String.valueOf(seconds(millis)));
  }

  private static int seconds(long millis) {
    return (int) Math.max(1, (millis + 999) / 1000);
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
    RingbufferConfig ring = new RingbufferConfig(LOG)
        .setCapacity(cfg.logCapacity())
        .setBackupCount(cfg.clusterBackupCount())
        .setAsyncBackupCount(0)
        .setTimeToLiveSeconds(0)
        .setInMemoryFormat(InMemoryFormat.BINARY)
        .setMergePolicyConfig(discard());
    if (cfg.quorum() > 1) {
      ring.setSplitBrainProtectionName(QUORUM);
    }
    return ring;
  }
}
