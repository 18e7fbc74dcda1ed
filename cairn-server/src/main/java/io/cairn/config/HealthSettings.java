package io.cairn.config;

/**
 * The {@code health} section: the leader's housekeeping of ttl checks and heartbeats.
 *
 * @param ttlScanIntervalMillis how often the leader looks for instances whose ttl ran out
 * @param heartbeatBatchMillis  how long heartbeats are gathered before they go to the leader in one message
 */
public record HealthSettings(long ttlScanIntervalMillis, long heartbeatBatchMillis) {

  static HealthSettings from(ConfigReader r) {
    return new HealthSettings(r.duration("ttlScanInterval"), r.duration("heartbeatBatch"));
  }
}
