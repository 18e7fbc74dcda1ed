package io.cairn.config;

/**
 * The {@code storage} section.
 *
 * @param minFreeBytes storage.minFreeBytes: below this much free space on node.dataDir's file system, writes are
 *                     refused
 */
public record StorageSettings(long minFreeBytes) {

  static StorageSettings from(ConfigReader r) {
    return new StorageSettings(r.size("minFreeBytes"));
  }
}
