package io.cairn.config;

/**
 * The {@code registry} section: the registry's quota and the limits of a request.
 *
 * @param maxBytes     registry.maxBytes: the most the registry's instances may take, estimated as their encoded size;
 *                     "auto" is an eighth of the heap, which holds three to four times the encoded size besides
 *                     history and caches
 * @param maxInstances the most instances the registry holds (0: no limit but maxBytes)
 */
public record RegistrySettings(int maxBulk, long maxBytes, long maxInstances, int queryCacheSize) {

  public RegistrySettings {
    if (maxBytes < 1 || maxInstances < 0) {
      throw new IllegalArgumentException("registry.maxBytes must be auto or a positive size, registry.maxInstances "
          + "0 (no limit) or more");
    }
    if (maxBulk < 1 || maxBulk > 10_000) {
      throw new IllegalArgumentException("registry.maxBulk must be between 1 and 10000");
    }
  }

  static RegistrySettings from(ConfigReader r) {
    long maxBytes = r.string("maxBytes").trim().equalsIgnoreCase("auto") ? Runtime.getRuntime().maxMemory() / 8
        : r.size("maxBytes");
    return new RegistrySettings(r.integer("maxBulk"), maxBytes, r.integer("maxInstances"), r.integer("queryCacheSize"));
  }
}
