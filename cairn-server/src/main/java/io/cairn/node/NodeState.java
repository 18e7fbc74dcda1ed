package io.cairn.node;

import io.cairn.model.NodeInfo;
import io.cairn.registry.Replica;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one node knows about itself and the cluster beyond its replica: ready, leaving, its incarnation, its part in
 * the Raft group, its standing, and who is alive. Read by every room; each value has one writer, which alone holds the
 * side ({@link ReplicationSide}, {@link MembershipSide}) that sets it: {@link #create} hands them out once, to the
 * wiring.
 */
public final class NodeState {
  private final String nodeId;
  private final Replica replica;
  private final boolean tls;
  private final long startedAt = System.currentTimeMillis();

  private volatile boolean ready;
  private volatile boolean leaving;
  private volatile String memberId = "";
  private volatile RaftStatus raft = RaftStatus.NONE;
  private volatile long lastQuorateAt;
  private volatile Standing standing = Standing.UNMEASURED;
  /** What each other node says is wrong with it (not current: a failed log, lagging), by node id; absent: nothing. */
  private volatile Map<String, String> peerProblems = Map.of();
  /** Incarnation ids (see NodeInfo.memberId) of the admitted members Hazelcast lists now. */
  private volatile Set<String> liveMembers = Set.of();
  /** Incarnation ids of the members that proved they are nodes of this cluster (replication's PeerDirectory). */
  private volatile Set<String> admittedMembers = Set.of();
  private volatile long diskSnapshotRevision;
  private volatile long diskSnapshotAt;

  /** A node's state and the two sides that write it. */
  public record Writers(NodeState state, ReplicationSide replication, MembershipSide membership) {
  }

  private NodeState(String nodeId, Replica replica, boolean tls) {
    this.nodeId = nodeId;
    this.replica = replica;
    this.tls = tls;
  }

  /**
   * @param replica this node's replica, which tells who leads and which nodes are alive
   * @param tls     the nodes' HTTP API is served over TLS (for the URL of another node)
   */
  public static Writers create(String nodeId, Replica replica, boolean tls) {
    NodeState state = new NodeState(nodeId, replica, tls);
    return new Writers(state, state.new ReplicationSide(), state.new MembershipSide());
  }

  /** What the replication room measures and decides: readiness, Raft, standing, admission, snapshots on disk. */
  public final class ReplicationSide {
    private ReplicationSide() {
    }

    public NodeState state() {
      return NodeState.this;
    }

    public void ready() {
      ready = true;
    }

    public void memberId(String id) {
      memberId = id;
    }

    public void raft(RaftStatus status) {
      raft = status;
      if (current()) {
        lastQuorateAt = System.currentTimeMillis();
      }
    }

    public void standing(Standing s) {
      standing = s;
    }

    public void peerProblems(Map<String, String> problems) {
      peerProblems = Map.copyOf(problems);
    }

    public void admittedMembers(Set<String> members) {
      admittedMembers = Set.copyOf(members);
    }

    /** The newest snapshot this node wrote to disk: its revision, and when. */
    public void diskSnapshot(long revision, long at) {
      diskSnapshotRevision = revision;
      diskSnapshotAt = at;
    }
  }

  /** What the membership room decides: which members are alive, and that this node leaves. */
  public final class MembershipSide {
    private MembershipSide() {
    }

    public NodeState state() {
      return NodeState.this;
    }

    public void liveMembers(Set<String> members) {
      liveMembers = Set.copyOf(members);
    }

    public void leaving() {
      leaving = true;
    }
  }

  public String nodeId() {
    return nodeId;
  }

  public long startedAt() {
    return startedAt;
  }

  /** True once the replica has caught up with the log; registry requests are refused before. */
  public boolean ready() {
    return ready;
  }

  /** Shutting down: no new writes, leadership handed over. */
  public boolean leaving() {
    return leaving;
  }

  /** This node's incarnation id: its Vert.x cluster node id, which changes on every start but not on a merge. */
  public String memberId() {
    return memberId;
  }

  /** This node's part in the Raft group, as last measured. */
  public RaftStatus raft() {
    return raft;
  }

  /** This node's storage, lag and quota, as last measured (once a second). */
  public Standing standing() {
    return standing;
  }

  public Map<String, String> peerProblems() {
    return peerProblems;
  }

  public Set<String> liveMembers() {
    return liveMembers;
  }

  /** The members admitted as nodes of this cluster (written by replication, which asks them over the event bus). */
  public Set<String> admittedMembers() {
    return admittedMembers;
  }

  /** The revision of the newest snapshot this node wrote to disk (0 before the first). */
  public long diskSnapshotRevision() {
    return diskSnapshotRevision;
  }

  public long diskSnapshotAt() {
    return diskSnapshotAt;
  }

  /**
   * True while this node can take writes: it is in touch with a Raft leader that is in touch with a majority. On
   * the minority side of a split, writes answer 503 no-quorum and reads are marked stale.
   */
  public boolean quorate() {
    return raft.quorate();
  }

  /**
   * What this node serves is current: it is in touch with a leader that a majority follows, it can write its log,
   * and it is not further behind than replication.maxLag. Otherwise reads are marked stale and /health says why.
   */
  public boolean current() {
    return raft.quorate() && standing.problem() == null;
  }

  /** Why what this node serves may not be current (cut off, a failed log, lagging), or null. */
  public String notCurrentBecause() {
    if (!raft.quorate()) {
      return "it is not in touch with a Raft leader that a majority follows";
    }
    return standing.problem();
  }

  /** Milliseconds since this node last knew itself current ({@link #current}); 0 while it is. */
  public long lastContactMillis() {
    return current() ? 0 : System.currentTimeMillis() - (lastQuorateAt > 0 ? lastQuorateAt : startedAt);
  }

  /** The log names this node leader. */
  public boolean isLeader() {
    return nodeId.equals(replica.leader());
  }

  /**
   * Leader, and in a position to act as one: Raft's leader of the term the log names, in touch with a majority,
   * and not leaving. A deposed leader's commands would be refused anyway (Apply checks their term against their
   * log entry's); this keeps it from proposing them.
   */
  public boolean actsAsLeader() {
    RaftStatus r = raft;
    return isLeader() && r.isLeader() && r.quorate() && replica.term() == r.term() && !leaving;
  }

  /**
   * The nodes that own health checks now: alive in the replica and members of the cluster as Hazelcast sees it
   * (a node that died but whose failure is not yet recorded owns nothing).
   */
  public List<String> checkOwners() {
    Set<String> live = liveMembers;
    List<String> owners = new ArrayList<>();
    for (NodeInfo n : replica.nodes().values()) {
      if (n.alive() && live.contains(n.memberId())) {
        owners.add(n.id());
      }
    }
    return owners;
  }

  /** An alive node other than this one (where a client should go when this one leaves), or null. */
  public NodeInfo anotherNode() {
    for (NodeInfo n : replica.nodes().values()) {
      if (n.alive() && !n.id().equals(nodeId)) {
        return n;
      }
    }
    return null;
  }

  /** The base URL of another live node, for a client this node turns away or sends elsewhere; null if none. */
  public String anotherNodeUrl() {
    NodeInfo other = anotherNode();
    return other == null ? null : other.baseUrl(tls);
  }
}
