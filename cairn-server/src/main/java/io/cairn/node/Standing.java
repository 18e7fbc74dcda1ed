package io.cairn.node;

/**
 * What a node knows about itself beyond its part in the Raft group: whether it can write its log (free space, a
 * failed log write), how far it is behind the leader, and how full the registry is against its quota. Measured every
 * second by the replication verticle; read by every interface to tell a caller the truth about what it serves.
 *
 * @param freeBytes      free space on the file system of node.dataDir
 * @param minFreeBytes   storage.minFreeBytes
 * @param logFailure     why the Raft log could not be written (null: it can), until its division is restarted
 * @param lagRevisions   revisions the leader published that this node has not applied
 * @param lagMillis      how long ago the leader published the oldest revision this node has not applied
 * @param instances      instances in the registry
 * @param meanEntryBytes the mean encoded size of an instance, from a sample
 */
public record Standing(long freeBytes, long minFreeBytes, String logFailure, long lagRevisions, long lagMillis,
                       long maxLagRevisions, long maxLagMillis, long instances, long meanEntryBytes,
                       long maxInstances, long maxBytes) {

  /** Before the first measurement. */
  public static final Standing UNMEASURED = new Standing(Long.MAX_VALUE, 0, null, 0, 0, 1, 1, 0, 0, 0, Long.MAX_VALUE);

  /** The registry's estimated size when measured: its instances' encoded size. */
  public long registryBytes() {
    return instances * meanEntryBytes;
  }

  /** Why this node does not serve a current registry (null: it does, as far as it can tell). */
  public String problem() {
    if (logFailure != null) {
      return "its Raft log cannot be written (" + logFailure + "); it serves the registry as of its last applied "
          + "revision and recovers once space returns";
    }
    if (lagRevisions > maxLagRevisions || lagMillis > maxLagMillis) {
      return "it is behind the leader by " + lagRevisions + " revisions (" + lagMillis / 1000 + " s), more than "
          + "replication.maxLag";
    }
    return null;
  }

  /**
   * Why this node may not take writes for lack of storage, said of the node ("cannot write its Raft log ..."), or
   * null: its log failed, or its free space is below storage.minFreeBytes (refused before the disk is full).
   */
  public String storageRefusal() {
    if (logFailure != null) {
      return "cannot write its Raft log (" + logFailure + ")";
    }
    if (freeBytes < minFreeBytes) {
      return "has " + freeBytes + " bytes free on its data directory's file system, below storage.minFreeBytes ("
          + minFreeBytes + ")";
    }
    return null;
  }

  /**
   * Why registering {@code newInstances} new instances of {@code newBytes} in a registry that holds {@code held}
   * now would pass the quota, or null.
   */
  public String quotaRefusal(long held, int newInstances, long newBytes) {
    if (newInstances == 0) {
      return null;
    }
    if (maxInstances > 0 && held + newInstances > maxInstances) {
      return "the registry holds " + held + " instances, and registry.maxInstances is " + maxInstances
          + "; deregister instances or raise the quota";
    }
    long bytes = held * meanEntryBytes;
    if (bytes + newBytes > maxBytes) {
      return "the registry's estimated size is " + bytes + " bytes, and registry.maxBytes is " + maxBytes
          + "; deregister instances or raise the quota";
    }
    return null;
  }
}
