package io.cairn.config;

/**
 * The {@code shutdown} section.
 *
 * @param gracePeriodMillis how long a stopping node lets requests finish and hands over before it leaves
 */
public record ShutdownSettings(long gracePeriodMillis) {

  static ShutdownSettings from(ConfigReader r) {
    return new ShutdownSettings(r.duration("gracePeriod"));
  }
}
