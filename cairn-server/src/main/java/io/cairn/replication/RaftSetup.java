package io.cairn.replication;

import io.cairn.config.CairnConfig;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * How a node's Ratis server and clients are configured from {@link CairnConfig}: the group (one per cluster name),
 * this node's peer (its node id, at cluster.host:cluster.raft.port), storage under {@code <dataDir>/raft}, the
 * election timeouts, snapshots and log compaction.
 */
public final class RaftSetup {
  private RaftSetup() {
  }

  /** The registry's Raft group: the same id on every node of a cluster, derived from its name. */
  public static RaftGroupId groupId(CairnConfig cfg) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("cairn:" + cfg.cluster().name()).getBytes(StandardCharsets.UTF_8)));
  }

  public static RaftPeerId peerId(String nodeId) {
    return RaftPeerId.valueOf(nodeId);
  }

  public static String address(CairnConfig cfg) {
    return cfg.cluster().host() + ":" + cfg.raft().port();
  }

  public static RaftPeer peer(String nodeId, String address) {
    return RaftPeer.newBuilder().setId(peerId(nodeId)).setAddress(address).build();
  }

  static File storageDir(CairnConfig cfg) {
    return cfg.node().dataDir().resolve("raft").toFile();
  }

  public static RaftProperties serverProperties(CairnConfig cfg) {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    GrpcConfigKeys.Server.setHost(p, cfg.cluster().host());
    GrpcConfigKeys.Server.setPort(p, cfg.raft().port());
    RaftServerConfigKeys.setStorageDir(p, List.of(storageDir(cfg)));
    long election = cfg.raft().electionTimeoutMillis();
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(election, TimeUnit.MILLISECONDS));
    // Ratis' follower checks once per (random) timeout whether the leader spoke within it, so a dead leader is
    // noticed after up to two timeouts: a narrow range keeps that near twice the minimum (a wide one measured a
    // failover p99 above 4 s), and pre-vote keeps the split votes a narrow range invites from costing terms.
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(election * 5 / 4, TimeUnit.MILLISECONDS));
    // A follower whose timer sleep overran by more than this skips its check for another whole timeout (Ratis'
    // default 300 ms): on a busy machine that doubled the time to notice a dead leader (FailoverIT's outliers).
    RaftServerConfigKeys.setSleepDeviationThreshold(p, TimeDuration.valueOf(election, TimeUnit.MILLISECONDS));
    // A leader that has not heard from a majority for this long steps down, so that a leader cut off from the
    // others stops calling itself leader soon after they elected another.
    RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p,
        TimeDuration.valueOf(3 * election, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(requestTimeoutMillis(cfg), TimeUnit.MILLISECONDS));
    // How long the leader waits between attempts to reach a follower that fails: Ratis' default gives up waiting
    // after 1,030 failures (some minutes of partition) and then retries without any pause, flooding the follower
    // with heartbeats once it is back, each timing out behind the others, so that it never caught up.
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, "1ms,10, 200ms,20, 1s," + Integer.MAX_VALUE);
    // Ratis closes its server after a JVM pause this long (60 s by default), leaving a node that serves without a
    // log. A node that was paused (swapped out, stopped in a debugger) should catch up like any follower instead.
    RaftServerConfigKeys.setCloseThreshold(p, TimeDuration.valueOf(365, TimeUnit.DAYS));
    // Linearizable reads (?consistent=true) use ReadIndex, on followers too.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    // Snapshots: every snapshot.everyRevisions entries (and every snapshot.interval, RaftAdmin), keeping
    // snapshot.retain files; the log before a snapshot is deleted.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, cfg.snapshot().everyRevisions());
    RaftServerConfigKeys.Snapshot.setCreationGap(p, 1);
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, cfg.snapshot().retain());
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, cfg.snapshot().everyRevisions()));
    long segment = cfg.snapshot().logSegmentBytes();
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(segment));
    RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(segment, 1L << 20)));
    // No commit-index entries in the log: they were 42% of the entries written under load, each forced and replicated
    // like a command. The leader tells followers a new commit index with a heartbeat instead (CommitHeartbeat), and
    // a restarted node learns its commit index from the leader (docs/ARCHITECTURE.md, "On disk").
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    // A joiner or a node far behind gets the leader's snapshot file.
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
    // Nodes are added by the leader (learners, then voters) once Hazelcast shows them: no waiting on a restarted
    // voter to catch up before the configuration changes.
    RaftServerConfigKeys.setStagingTimeout(p, TimeDuration.valueOf(60, TimeUnit.SECONDS));
    return p;
  }

  /**
   * With security.cluster.*: mutual TLS on the Raft transport, server and client side (every node's certificate
   * chains to the cluster's CA, and each side checks the other's). Without: plain, as Hazelcast's protocol is.
   */
  public static Parameters parameters(CairnConfig cfg) {
    Parameters parameters = new Parameters();
    if (cfg.security().clusterTlsEnabled()) {
      GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(new File(cfg.security().clusterKeyFile()),
          new File(cfg.security().clusterCertFile()), new File(cfg.security().clusterCaFile()), true));
    }
    return parameters;
  }

  /** How long a server waits for a peer's answer (an append, a vote) before it counts the call as failed. */
  static long requestTimeoutMillis(CairnConfig cfg) {
    return Math.max(3000, 3 * cfg.raft().electionTimeoutMillis());
  }

  /** The properties of this node's Raft client side: each call to a peer waits at most 3 s for its answer. */
  static RaftProperties clientProperties() {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
    return p;
  }
}
